import { HOURS_PER_MONTH } from './types.js';

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(
  field: string,
  min: number,
  max: number,
  names?: string[],
): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  const star = field === '*' || field === '?';
  const toNumber = (text: string): number => {
    const index = names ? names.indexOf(text.toLowerCase()) : -1;
    const number = index >= 0 ? index + (names === monthNames ? 1 : 0) : Number(text);
    if (!Number.isInteger(number)) throw new Error(`"${text}" is not a number`);
    return number;
  };
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    let low: number;
    let high: number;
    if (range === '*' || range === '?') [low, high] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [low, high] = [toNumber(a), toNumber(b)];
    } else {
      low = toNumber(range);
      high = stepText === undefined ? low : max;
    }
    // Sunday may be written 7.
    if (names === dayNames && high === 7) high = 7;
    if (low < min || high > (names === dayNames ? 7 : max) || low > high)
      throw new Error(`"${part}" is out of range ${min}-${max}`);
    for (let value = low; value <= high; value += step) values.add(names === dayNames ? value % 7 : value);
  }
  return { values, star };
}

/**
 * How many times a CronJob schedule fires in an average 730-hour month, counted over the days of a
 * whole (non-leap) year with the day-of-month / day-of-week rule of cron: when both are restricted,
 * a day matching either runs. Throws with the reason when the schedule is not valid.
 */
export function runsPerMonth(schedule: string): number {
  let text = schedule.trim().replace(/^(CRON_TZ|TZ)=\S+\s+/, '');
  text = macros[text] ?? text;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new Error(`"${schedule}" does not have five fields`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const minutes = parseField(minute, 0, 59);
  const hours = parseField(hour, 0, 23);
  const doms = parseField(dayOfMonth, 1, 31);
  const months = parseField(month, 1, 12, monthNames);
  const dows = parseField(dayOfWeek, 0, 6, dayNames);
  let days = 0;
  // 2025 starts on a Wednesday and has 365 days; any non-leap year gives the same average.
  const date = new Date(Date.UTC(2025, 0, 1));
  for (let day = 0; day < 365; day += 1) {
    const matchesDom = doms.values.has(date.getUTCDate());
    const matchesDow = dows.values.has(date.getUTCDay());
    const dayMatches = doms.star || dows.star ? matchesDom && matchesDow : matchesDom || matchesDow;
    if (dayMatches && months.values.has(date.getUTCMonth() + 1)) days += 1;
    date.setUTCDate(date.getUTCDate() + 1);
  }
  const perDay = minutes.values.size * hours.values.size;
  return (days * perDay * HOURS_PER_MONTH) / (365 * 24);
}
