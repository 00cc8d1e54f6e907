/** Stops what global-setup started, newest first. */
export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __beckonTestStops?: (() => Promise<void>)[] }).__beckonTestStops ?? [];
  for (const stop of stops.reverse()) await stop();
}
