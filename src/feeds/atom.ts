// Atom (RFC 4287) documents of requests with GeoRSS-Simple points: public fields only. Dates are RFC 3339 in
// UTC. Entry ids are permanent: one per request (its changes move <updated>), one per history entry.
import type { FeedRequest, FeedUpdate } from '../store/feeds-store.js';
import { statusLabel } from '../notifications/labels.js';
import { trackingUrl } from '../notifications/links.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
// Characters XML 1.0 cannot carry at all.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const xml = (value: string): string => value.replace(NOT_XML, '').replace(/[&<>"']/g, (character) => ESCAPES[character]!);
const date = (value: Date): string => new Date(value).toISOString();

export interface FeedHead {
  title: string;
  /** The feed's own URL (with its query): also its id. */
  selfUrl: string;
  /** The page of the resident site the feed mirrors. */
  alternateUrl: string;
  author: string;
  publicUrl: string;
  georeportUrl: string;
}

function point(request: FeedRequest): string {
  return request.lat === null || request.long === null
    ? ''
    : `\n    <georss:point>${Number(request.lat)} ${Number(request.long)}</georss:point>`;
}

function document(head: FeedHead, updated: Date | undefined, entries: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss">
  <title>${xml(head.title)}</title>
  <id>${xml(head.selfUrl)}</id>
  <updated>${date(updated ?? new Date(0))}</updated>
  <link rel="self" type="application/atom+xml" href="${xml(head.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xml(head.alternateUrl)}"/>
  <author><name>${xml(head.author)}</name></author>
  <generator>open311-server</generator>
${entries.join('')}</feed>
`;
}

function requestLines(request: FeedRequest): string {
  return [
    `Status: ${statusLabel('en', request.detailed_status)}`,
    request.status_notes ? `Notes: ${request.status_notes}` : '',
    request.address ? `Address: ${request.address}` : '',
    request.description ? `Description: ${request.description}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The feed of requests: one entry per request, the most recently changed first. */
export function requestsFeed(head: FeedHead, requests: FeedRequest[]): string {
  const entries = requests.map((request) => {
    const link = trackingUrl(head.publicUrl, request.service_request_id);
    return `  <entry>
    <title>${xml(`${request.service_request_id} ${request.service_name}: ${statusLabel('en', request.detailed_status)}`)}</title>
    <id>${xml(link)}</id>
    <published>${date(request.requested_datetime)}</published>
    <updated>${date(request.updated_datetime)}</updated>
    <link rel="alternate" type="text/html" href="${xml(link)}"/>
    <link rel="related" type="application/json" href="${xml(`${head.georeportUrl}/requests/${request.service_request_id}.json`)}"/>
    <category term="${xml(request.service_code)}" label="${xml(request.service_name)}"/>
    <category term="${xml(request.detailed_status)}" scheme="${xml(`${head.publicUrl}/feeds/statuses`)}"/>
    <content type="text">${xml(requestLines(request))}</content>${point(request)}
  </entry>
`;
  });
  return document(head, requests[0]?.updated_datetime, entries);
}

/** The public history of one request: one entry per public update, newest first. */
export function requestHistoryFeed(head: FeedHead, request: FeedRequest, updates: FeedUpdate[]): string {
  const link = trackingUrl(head.publicUrl, request.service_request_id);
  const entries = updates.map(
    (update) => `  <entry>
    <title>${xml(update.summary || statusLabel('en', update.detailed_status))}</title>
    <id>${xml(`${link}#update-${update.update_id}`)}</id>
    <updated>${date(update.updated_datetime)}</updated>
    <link rel="alternate" type="text/html" href="${xml(link)}"/>
    <category term="${xml(update.detailed_status)}" scheme="${xml(`${head.publicUrl}/feeds/statuses`)}"/>
    <content type="text">${xml(update.description || statusLabel('en', update.detailed_status))}</content>${point(request)}
  </entry>
`,
  );
  return document(head, updates[0]?.updated_datetime ?? request.updated_datetime, entries);
}
