// The console queue's count line and pages when the count is bounded (more matches than the queue counts).
import { expect } from 'chai';
import { QUEUE_COUNT_LIMIT, queueBody, type QueueViewModel } from '../../src/http/pages/console/queue-page.js';

const model = (result: QueueViewModel['result']): QueueViewModel => ({
  parameters: new Map(),
  services: [],
  agencies: [],
  people: [],
  result,
  timeZone: 'America/New_York',
  now: new Date(),
  csrfToken: 'token',
  savedViews: [],
  templates: [],
  meId: '1',
  assignmentAvailable: true,
});

const row = (id: number) =>
  ({
    service_request_id: String(id),
    status: 'open',
    detailed_status: 'submitted',
    service_code: 'POTHOLE',
    service_name: 'Pothole',
    description: 'Deep hole',
    requested_datetime: new Date('2026-11-01T12:00:00Z'),
    updated_datetime: new Date('2026-11-01T12:00:00Z'),
    version: 1,
  }) as never;

describe('console queue page: a bounded count', () => {
  it('says "more than" and offers the next page without a last page', () => {
    const requests = Array.from({ length: 50 }, (_, index) => row(index + 1));
    const page = String(queueBody(model({ total: QUEUE_COUNT_LIMIT, total_capped: true, page: 3, page_size: 50, requests })));
    expect(page).to.include('Showing 101–150 of more than 10,000 requests.');
    expect(page).to.include('Page 3 of more than 200');
    expect(page).to.match(/rel="next"/);
    expect(page).not.to.include('Page 200<');
  });

  it('past the counted pages, says "more than" the page it is on', () => {
    const requests = Array.from({ length: 50 }, (_, index) => row(index + 1));
    const page = String(queueBody(model({ total: QUEUE_COUNT_LIMIT, total_capped: true, page: 250, page_size: 50, requests })));
    expect(page).to.include('Page 250 of more than 250');
    expect(page).to.match(/rel="next"/);
  });

  it('counts exactly below the bound', () => {
    const requests = Array.from({ length: 50 }, (_, index) => row(index + 1));
    const page = String(queueBody(model({ total: 120, page: 1, page_size: 50, requests })));
    expect(page).to.include('Showing 1–50 of 120 requests.');
    expect(page).to.include('Page 1 of 3');
  });
});
