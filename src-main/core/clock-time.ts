// The time of day as an engineer reads it next to a device log: 14:03:07.250, on this
// machine's clock, to the millisecond since log lines arrive many to the second.

export function clockTime(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
