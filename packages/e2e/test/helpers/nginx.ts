// Real nginx edges for the e2e tests: the implementation is shared with bench/edge.mjs.
export { freePort, renderTemplate, startEdge, TEMPLATE, type Edge, type EdgeLogLine } from '../../../../bench/nginx-edge.mjs';
