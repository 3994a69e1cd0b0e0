// The public URLs notifications link to: one home, shared by the messages and the routes that answer them.
export const NOTIFICATIONS_PATH = '/notifications';
export const ALERTS_PATH = '/alerts';

/** The resident site's page of a request (its track page). */
export const trackingUrl = (publicUrl: string, id: string): string => `${publicUrl}/requests/${encodeURIComponent(id)}`;
export const confirmUrl = (publicUrl: string, token: string): string => `${publicUrl}${NOTIFICATIONS_PATH}/confirm/${token}`;
export const unsubscribeUrl = (publicUrl: string, token: string): string =>
  `${publicUrl}${NOTIFICATIONS_PATH}/unsubscribe/${token}`;
export const notFixedUrl = (publicUrl: string, token: string): string => `${publicUrl}${NOTIFICATIONS_PATH}/not-fixed/${token}`;
/** The staff console's page of a request. */
export const staffRequestUrl = (publicUrl: string, id: string): string => `${publicUrl}/staff/requests/${encodeURIComponent(id)}`;
