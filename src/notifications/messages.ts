// Turns a claimed outbox row into an e-mail: the template of its kind and language, filled with the row's
// payload (public fields of the request at the time of the event) and the links of its subscription.
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { ClaimedMessage } from '../store/notifications-store.js';
import { languageOf } from './address.js';
import { frequencyLabel, statusLabel } from './labels.js';
import { confirmUrl, notFixedUrl, staffRequestUrl, trackingUrl, unsubscribeUrl } from './links.js';
import type { MailTemplates, RenderedMail, TemplateData } from './templates.js';

export interface OutgoingMail extends RenderedMail {
  to: string;
  headers: Record<string, string>;
  messageId: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function composeMail(config: Config, templates: MailTemplates, message: ClaimedMessage): OutgoingMail {
  const language = languageOf(message.language);
  const payload = message.payload;
  const base = config.publicUrl;
  const requestId = text(payload.service_request_id) ?? message.service_request_id;
  const data: Record<string, TemplateData[keyof TemplateData]> = {
    city: config.jurisdictionName,
    ...(requestId
      ? {
          request: {
            id: requestId,
            service_name: text(payload.service_name),
            description: text(payload.description),
            address: text(payload.address),
            // Blackbox requests never appear on the resident site: a link would lead to "not found".
            tracking_url: payload.service_type === 'blackbox' ? null : trackingUrl(base, requestId),
            staff_url: staffRequestUrl(base, requestId),
            assignee: text(payload.assignee),
          },
        }
      : {}),
    change: {
      status_label: statusLabel(language, text(payload.detailed_status) ?? 'submitted'),
      status_notes: text(payload.status_notes),
    },
    alert: {
      area: message.area_label,
      frequency: frequencyLabel(language, text(payload.frequency) ?? 'immediate'),
    },
  };
  if (Array.isArray(payload.items)) {
    const items = (payload.items as Array<Record<string, unknown>>).map((item) => ({
      id: text(item.service_request_id),
      service_name: text(item.service_name),
      address: text(item.address),
      tracking_url: trackingUrl(base, String(item.service_request_id)),
      expected: text(item.expected),
    }));
    data.agency = text(payload.agency);
    data.items = items;
    data.count = items.length;
  }
  const headers: Record<string, string> = {};
  if (message.token) {
    data.unsubscribe_url = unsubscribeUrl(base, message.token);
    data.confirm_url = confirmUrl(base, message.token);
    data.not_fixed_url = notFixedUrl(base, message.token);
    // One-click unsubscribe (RFC 8058): mail clients POST "List-Unsubscribe=One-Click" to the URL.
    headers['List-Unsubscribe'] = `<${data.unsubscribe_url}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  // Auto-Submitted: no vacation replies to a notification (RFC 3834).
  headers['Auto-Submitted'] = 'auto-generated';
  const rendered = templates.render(language, message.template, data);
  // The same Message-ID on every attempt of one delivery: a receiver can drop a copy re-sent after a crash
  // between the SMTP server's acceptance and our record of it.
  const host = new URL(base).hostname;
  const messageId = `<${createHash('sha256').update(message.delivery_key).digest('hex').slice(0, 40)}@${host}>`;
  return { ...rendered, to: message.recipient, headers, messageId };
}
