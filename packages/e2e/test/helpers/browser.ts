import { chromium, type Browser } from 'playwright-core';

/** WebRTC on loopback only: host candidates on 127.0.0.1, not hidden behind mDNS names. */
export const WEBRTC_LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

// Debian's Chromium, never a downloaded one; the flags keep it off the (closed) network.
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

export interface ViewerStatus {
  engine: string | null;
  state: string;
  latency: number | null;
  buffer: number;
  fatal: number;
  errors: { text: string; fatal: boolean }[];
  currentTime: number;
}
