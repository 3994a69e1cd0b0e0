// Demo requests for a first start (SEED_DEMO): a few hundred realistic Lancaster, Ohio requests over the last
// 90 days on real streets, across the demo services — some acknowledged or in progress, some closed with
// notes, some overdue, a few suspected duplicates — so the console's queue, map and trends show something.
// Generated from a fixed seed (the same data every time) and written once: a second run finds the marker
// channel and does nothing.
import { DEMO_CATALOG } from './demo-catalog.js';
import type { Db } from './db.js';

export const DEMO_CHANNEL = 'demo';
const COUNT = 320;
const DAY = 86_400_000;

// Streets of Lancaster with a segment along each (lat, long at both ends) and the house-number range.
const STREETS: ReadonlyArray<{ name: string; from: [number, number]; to: [number, number]; numbers: [number, number] }> = [
  { name: 'N Broad St', from: [39.7138, -82.5993], to: [39.7335, -82.5991], numbers: [100, 1400] },
  { name: 'S Broad St', from: [39.7136, -82.5993], to: [39.6985, -82.5995], numbers: [100, 1100] },
  { name: 'E Main St', from: [39.7137, -82.599], to: [39.7115, -82.5735], numbers: [100, 1800] },
  { name: 'W Main St', from: [39.7137, -82.5996], to: [39.7142, -82.6195], numbers: [100, 1300] },
  { name: 'N Columbus St', from: [39.7142, -82.5962], to: [39.7305, -82.5935], numbers: [100, 1200] },
  { name: 'S Columbus St', from: [39.7132, -82.5963], to: [39.7005, -82.5955], numbers: [100, 900] },
  { name: 'N Memorial Dr', from: [39.7165, -82.5845], to: [39.748, -82.5905], numbers: [100, 2600] },
  { name: 'S Memorial Dr', from: [39.7125, -82.5842], to: [39.6935, -82.5858], numbers: [100, 1500] },
  { name: 'E Fair Ave', from: [39.7178, -82.5975], to: [39.7195, -82.5755], numbers: [100, 1500] },
  { name: 'W Fair Ave', from: [39.7178, -82.6005], to: [39.7185, -82.6155], numbers: [100, 1000] },
  { name: 'E Mulberry St', from: [39.7158, -82.5985], to: [39.7162, -82.5865], numbers: [100, 900] },
  { name: 'E Chestnut St', from: [39.7124, -82.5985], to: [39.7118, -82.5855], numbers: [100, 900] },
  { name: 'E Wheeling St', from: [39.7182, -82.5985], to: [39.7186, -82.5875], numbers: [100, 800] },
  { name: 'Lincoln Ave', from: [39.7045, -82.6035], to: [39.7052, -82.5815], numbers: [100, 1300] },
  { name: 'Sheridan Dr', from: [39.7345, -82.6035], to: [39.7352, -82.5845], numbers: [100, 1500] },
  { name: 'Pierce Ave', from: [39.7268, -82.6025], to: [39.7272, -82.5855], numbers: [100, 1200] },
  { name: 'E 6th Ave', from: [39.7248, -82.5985], to: [39.7252, -82.5855], numbers: [100, 900] },
  { name: 'Maple St', from: [39.7135, -82.5905], to: [39.7305, -82.5902], numbers: [100, 1300] },
  { name: 'N High St', from: [39.7142, -82.6013], to: [39.7255, -82.6018], numbers: [100, 800] },
  { name: 'Cedar Hill Rd', from: [39.7305, -82.5795], to: [39.7392, -82.5595], numbers: [1000, 2600] },
  { name: 'Ety Rd', from: [39.7395, -82.6195], to: [39.7565, -82.6055], numbers: [1000, 2400] },
  { name: 'Election House Rd', from: [39.6905, -82.6085], to: [39.6955, -82.5805], numbers: [100, 1500] },
];

const SHARE: Record<string, number> = {
  POTHOLE: 28,
  STREETLIGHT: 14,
  MISSED_TRASH: 13,
  GRAFFITI: 10,
  SIDEWALK: 8,
  TALL_GRASS: 9,
  NOISE: 7,
  ABANDONED_VEHICLE: 6,
  DEAD_ANIMAL: 5,
};
const RESPONSE_HOURS: Record<string, number> = {
  POTHOLE: 72,
  STREETLIGHT: 120,
  MISSED_TRASH: 24,
  GRAFFITI: 120,
  SIDEWALK: 240,
  TALL_GRASS: 168,
  NOISE: 48,
  ABANDONED_VEHICLE: 168,
  DEAD_ANIMAL: 24,
};
const DESCRIPTIONS: Record<string, string[]> = {
  POTHOLE: [
    'Deep pothole in the travel lane, cars swerve around it',
    'Pothole by the crosswalk keeps getting bigger',
    'Several potholes in a row after the freeze',
    'Hole next to the storm drain, about a foot wide',
  ],
  STREETLIGHT: ['Streetlight out for a week', 'Light flickers on and off all night', 'Pole light is on during the day'],
  MISSED_TRASH: [
    'Trash was not picked up on our collection day',
    'Recycling bin skipped again',
    'Whole side of the street missed',
  ],
  GRAFFITI: ['Spray paint on the bus shelter', 'Tags on the side of the building', 'Graffiti on the bridge railing'],
  SIDEWALK: ['Sidewalk slab lifted by a tree root', 'Crumbling curb ramp at the corner', 'Large crack, a trip hazard'],
  TALL_GRASS: ['Vacant lot with grass over two feet', 'Weeds blocking the sidewalk', 'Yard not mowed all summer'],
  NOISE: ['Loud music every night after midnight', 'Construction noise before 7 am', 'Barking dog all day'],
  ABANDONED_VEHICLE: [
    'Car with flat tires parked for weeks',
    'Truck without plates left on the street',
    'Van has not moved in a month',
  ],
  DEAD_ANIMAL: ['Dead deer on the shoulder', 'Dead raccoon in the road', 'Dead cat on the sidewalk'],
};
const CLOSING_NOTES = [
  'Crew completed the work.',
  'Repaired; thank you for reporting.',
  'Inspected and resolved.',
  'Removed by the crew this morning.',
  'Referred to the property owner, who fixed it.',
];
const INTERNAL_NOTES = [
  'Called the resident back.',
  'Needs the bucket truck.',
  'Scheduled with the Thursday crew.',
  'Waiting on parts.',
];

/** A small deterministic generator (mulberry32), so the demo data is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function hasDemoRequests(db: Db, jurisdictionId: string): Promise<boolean> {
  return (
    (await db('service_requests').where({ jurisdiction_id: jurisdictionId, channel: DEMO_CHANNEL }).first('id')) !== undefined
  );
}

/** Seeds the demo requests once; returns how many were written (0 when they are already there). */
export async function seedDemoRequests(db: Db, jurisdictionId: string, now = new Date()): Promise<number> {
  if (await hasDemoRequests(db, jurisdictionId)) return 0;
  const services = (await db('services')
    .select('id', 'service_code', 'agency_responsible', 'service_notice')
    .where({ jurisdiction_id: jurisdictionId })
    .whereIn('service_code', Object.keys(SHARE))) as Array<{
    id: string;
    service_code: string;
    agency_responsible: string | null;
    service_notice: string | null;
  }>;
  if (services.length === 0) return 0;
  const next = random(311);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const weighted: string[] = services.flatMap((service) =>
    Array<string>(SHARE[service.service_code] ?? 1).fill(service.service_code),
  );
  const byCode = new Map(services.map((service) => [service.service_code, service]));
  const catalog = new Map(DEMO_CATALOG.map((service) => [service.service_code, service]));
  const rows: Array<Record<string, unknown> & { code: string; at: Date; lat: number; long: number }> = [];
  for (let index = 0; index < COUNT; index += 1) {
    const code = pick(weighted);
    const service = byCode.get(code)!;
    const street = pick(STREETS);
    const along = next();
    const lat = street.from[0] + (street.to[0] - street.from[0]) * along + (next() - 0.5) * 0.0002;
    const long = street.from[1] + (street.to[1] - street.from[1]) * along + (next() - 0.5) * 0.0002;
    const number =
      Math.round((street.numbers[0] + (street.numbers[1] - street.numbers[0]) * along) / 2) * 2 + (next() < 0.5 ? 1 : 0);
    // Recent days are busier: the age skews towards today.
    const ageDays = 90 * next() ** 1.6;
    const at = new Date(now.getTime() - ageDays * DAY - Math.floor(next() * 3_600_000));
    const hours = RESPONSE_HOURS[code] ?? 120;
    const expected = new Date(at.getTime() + hours * 3_600_000);
    const attributes: Record<string, string[]> = {};
    for (const attribute of catalog.get(code)?.attributes ?? []) {
      if (!attribute.required && next() < 0.5) continue;
      if (attribute.values && attribute.values.length > 0) attributes[attribute.code] = [pick(attribute.values).key];
      else if (attribute.datatype === 'number') attributes[attribute.code] = [String(1 + Math.floor(next() * 8))];
      else if (attribute.datatype === 'datetime') attributes[attribute.code] = [at.toISOString()];
      else if (attribute.required) attributes[attribute.code] = ['Reported by phone'];
    }
    // Older requests are mostly closed; recent ones mostly open.
    const closeChance = Math.min(0.92, ageDays / (hours / 24 + 4));
    const closed = next() < closeChance;
    const closedAt = closed
      ? new Date(Math.min(now.getTime() - 60_000, at.getTime() + hours * 3_600_000 * (0.2 + next() * 1.4)))
      : null;
    const openDetail = closed
      ? 'closed'
      : pick(['submitted', 'submitted', 'acknowledged', 'in_progress', 'in_progress', 'on_hold']);
    rows.push({
      code,
      at,
      lat,
      long,
      jurisdiction_id: jurisdictionId,
      service_id: service.id,
      status: closed ? 'closed' : 'open',
      detailed_status: openDetail,
      status_notes: closed ? pick(CLOSING_NOTES) : openDetail === 'in_progress' ? 'A crew has been scheduled.' : null,
      description: pick(DESCRIPTIONS[code] ?? ['Reported problem']),
      agency_responsible: service.agency_responsible,
      service_notice: service.service_notice,
      requested_datetime: at,
      updated_datetime:
        closedAt ?? (openDetail === 'submitted' ? at : new Date(Math.min(now.getTime(), at.getTime() + 6 * 3_600_000))),
      expected_datetime: expected,
      closed_datetime: closedAt,
      address: `${number} ${street.name}`,
      zipcode: '43130',
      attributes: JSON.stringify(attributes),
      channel: DEMO_CHANNEL,
      version: closed ? 3 : openDetail === 'submitted' ? 1 : 2,
    });
  }
  // A few near copies of recent open requests (a neighbour reports the same thing a day later, 15 m away).
  const recentOpen = rows.filter((row) => row.status === 'open' && now.getTime() - row.at.getTime() > 2 * DAY).slice(0, 8);
  for (const row of recentOpen) {
    const at = new Date(row.at.getTime() + DAY);
    rows.push({
      ...row,
      at,
      lat: row.lat + 0.0001,
      long: row.long + 0.0001,
      detailed_status: 'submitted',
      status_notes: null,
      description: `Same problem as my neighbour reported: ${String(row.description).toLowerCase()}`,
      requested_datetime: at,
      updated_datetime: at,
      version: 1,
    });
  }
  rows.sort((a, b) => a.at.getTime() - b.at.getTime());
  await db.transaction(async (trx) => {
    const inserted: Array<{ id: string }> = [];
    for (let start = 0; start < rows.length; start += 100) {
      const batch = rows.slice(start, start + 100);
      const ids = (await trx('service_requests')
        .insert(
          batch.map(({ code: _code, at: _at, lat, long, ...row }) => ({
            ...row,
            location: trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [
              Number(long.toFixed(6)),
              Number(lat.toFixed(6)),
            ]),
          })),
        )
        .returning(trx.raw('id::text AS id') as unknown as string)) as Array<{ id: string }>;
      inserted.push(...ids);
    }
    const updates: Array<Record<string, unknown>> = [];
    const submitters: Array<Record<string, unknown>> = [];
    rows.forEach((row, index) => {
      const id = inserted[index]!.id;
      const base = { service_request_id: id, jurisdiction_id: jurisdictionId };
      updates.push({
        ...base,
        note_type: 'opened',
        status: 'open',
        detailed_status: 'submitted',
        summary: 'Request received',
        description: '',
        updated_datetime: row.at,
        created_at: row.at,
      });
      if (row.detailed_status !== 'submitted' && row.status === 'open')
        updates.push({
          ...base,
          note_type: 'activity',
          status: 'open',
          detailed_status: row.detailed_status,
          summary:
            row.detailed_status === 'in_progress'
              ? 'In progress'
              : row.detailed_status === 'on_hold'
                ? 'On hold'
                : 'Acknowledged',
          description: row.status_notes ?? '',
          updated_datetime: row.updated_datetime,
          created_at: row.updated_datetime,
        });
      if (row.status === 'closed') {
        if (next() < 0.4)
          updates.push({
            ...base,
            note_type: 'internal',
            status: 'open',
            detailed_status: 'in_progress',
            summary: 'Internal note by the demo crew',
            description: pick(INTERNAL_NOTES),
            is_public: false,
            updated_datetime: row.closed_datetime,
            created_at: row.closed_datetime,
          });
        updates.push({
          ...base,
          note_type: 'closed',
          status: 'closed',
          detailed_status: 'closed',
          summary: 'Closed',
          description: row.status_notes ?? '',
          updated_datetime: row.closed_datetime,
          created_at: row.closed_datetime,
        });
      }
      if (next() < 0.4)
        submitters.push({
          service_request_id: id,
          email: `resident${index + 1}@example.com`,
          phone: `740-555-${String(1000 + index).slice(-4)}`,
          first_name: pick(['Ann', 'Ben', 'Carla', 'Dev', 'Elena', 'Frank', 'Grace', 'Hugo']),
          last_name: pick(['Miller', 'Smith', 'Jones', 'Brown', 'Davis', 'Wilson', 'Moore', 'Taylor']),
        });
    });
    for (let start = 0; start < updates.length; start += 200)
      await trx('service_request_updates').insert(updates.slice(start, start + 200));
    if (submitters.length > 0) await trx('service_request_submitters').insert(submitters);
    // A few suspected duplicates: open requests of the same service within 60 m and a week of an earlier one.
    await trx.raw(
      `UPDATE service_requests r SET suspected_duplicate_of = (
         SELECT o.id FROM service_requests o
         WHERE o.jurisdiction_id = r.jurisdiction_id AND o.service_id = r.service_id AND o.id < r.id AND o.status = 'open'
           AND o.requested_datetime > r.requested_datetime - interval '7 days' AND ST_DWithin(o.location, r.location, 60)
         ORDER BY o.id DESC LIMIT 1)
       WHERE r.jurisdiction_id = ? AND r.channel = ? AND r.status = 'open'`,
      [jurisdictionId, DEMO_CHANNEL],
    );
  });
  return rows.length;
}
