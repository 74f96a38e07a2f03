// Paths of the contract are absolute (`/publish/end`); a streamer may live under a base path.

/** `path` under the streamer's base URL: `http://host:8080/base` + `/publish/end` -> `http://host:8080/base/publish/end`. */
export function streamerUrl(streamer: string, path: string): URL {
  const url = new URL(streamer);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}
