/** A fixed-offset IANA zone where it is about noon now, so sends made on the real clock are outside quiet hours. */
export function daytimeZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // -11 .. +12, all valid Etc zones
  if (offset === 0) return 'Etc/GMT';
  // Etc/GMT zones count the other way round: Etc/GMT-3 is UTC+3.
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}
