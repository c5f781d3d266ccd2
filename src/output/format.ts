/** Pure formatting shared by the renderers: dollars, durations, bytes, two-column tables. */

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
/** `$0.0012` below a cent, `$12.34` otherwise. */
export const usd = (x: number): string => (x < 0.01 && x > 0 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);

/** `1 h 05 min`, `3 min 20 s`, `12 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return h >= 48 ? `${(s / 86400).toFixed(1)} days` : `${h} h ${String(m).padStart(2, '0')} min`;
}

/** `1.2 GB` */
export function bytes(b: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = b;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n(v)} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
