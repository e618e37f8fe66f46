// The terminal UI's public face: the live screen for `sweep start`
// (createTuiEvents), the polling feed for `sweep monitor`, and the pieces
// tests and other renderers use.
export { createTuiEvents, type TuiContext, type TuiEvents } from './events.js';
export { MonitorFeed, type MonitorFeedOptions } from './poll.js';
export { showMonitorScreen, type MonitorScreenOptions } from './monitor-screen.js';
export { App, type AppProps } from './components/App.js';
export { UiProvider } from './theme.js';
export { detectCaps, glyphsFor, ASCII_GLYPHS, UNICODE_GLYPHS, type Caps, type Glyphs } from './caps.js';
export { SweepStore } from './store.js';
export type { SweepSnapshot, LiveTrial, LogItem, FailedTrial } from './model.js';
export { logLine } from './views.js';
export { plainText } from './table.js';
