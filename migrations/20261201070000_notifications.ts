import type { Knex } from 'knex';

// E-mail notifications. Subscriptions are who hears about what: the submitter of a request, its followers,
// and area alerts (a circle or a service area). Messages are the durable outbox of e-mails: each row is
// written in the transaction of the change that causes it and sent by src/notifications/dispatcher.ts.
// delivery_key is unique: one event reaches one recipient at most once, whatever retries or nodes do.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_subscriptions', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('kind').notNullable();
    table.text('email').notNullable();
    table.text('language').notNullable().defaultTo('en');
    // Kept in clear: every message carries it in its unsubscribe link (it grants only unsubscribing,
    // confirming and replying to this one subscription).
    table.text('token').notNullable().unique();
    table.bigInteger('service_request_id').references('service_requests.id').onDelete('CASCADE');
    table.specificType('center', 'geography(Point,4326)');
    table.double('radius_meters');
    table.bigInteger('service_area_id').references('service_areas.id').onDelete('CASCADE');
    // How the alert's area reads in its messages ("within 500 m of 39.71, -82.60", a service area's name).
    table.text('area_label');
    table.text('frequency').notNullable().defaultTo('immediate');
    table.timestamp('confirmed_at', { useTz: true });
    table.timestamp('unsubscribed_at', { useTz: true });
    table.timestamp('last_digest_at', { useTz: true });
    table.integer('confirmations_sent').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE notification_subscriptions ADD CONSTRAINT notification_subscriptions_kind_check
    CHECK (kind IN ('submitter', 'follower', 'area'))`);
  await knex.raw(`ALTER TABLE notification_subscriptions ADD CONSTRAINT notification_subscriptions_frequency_check
    CHECK (frequency IN ('immediate', 'daily'))`);
  await knex.raw(
    'CREATE INDEX notification_subscriptions_request_idx ON notification_subscriptions (service_request_id) WHERE service_request_id IS NOT NULL',
  );
  await knex.raw(
    `CREATE UNIQUE INDEX notification_subscriptions_follower_idx ON notification_subscriptions (service_request_id, email) WHERE kind = 'follower'`,
  );
  await knex.raw(
    `CREATE INDEX notification_subscriptions_area_idx ON notification_subscriptions (jurisdiction_id) WHERE kind = 'area' AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL`,
  );

  // Staff: a daily digest of an agency's overdue requests, to the addresses an admin registers.
  await knex.schema.createTable('agency_digest_recipients', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.bigInteger('agency_id').notNullable().references('agencies.id').onDelete('CASCADE');
    table.text('email').notNullable();
    table.text('language').notNullable().defaultTo('en');
    table.timestamp('last_digest_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['agency_id', 'email']);
  });

  await knex.schema.createTable('notification_messages', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.bigInteger('subscription_id').references('notification_subscriptions.id').onDelete('CASCADE');
    table.bigInteger('service_request_id').references('service_requests.id').onDelete('CASCADE');
    // Which template: confirmation, update, closed, follow-confirm, alert-confirm, alert, alert-digest, assigned, overdue-digest.
    table.text('template').notNullable();
    table.text('recipient').notNullable();
    // submitter, follower, area or staff: what the staff view may show instead of a follower's address.
    table.text('recipient_role').notNullable();
    table.text('language').notNullable().defaultTo('en');
    table.jsonb('payload').notNullable();
    table.text('delivery_key').notNullable().unique();
    table.text('status').notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.text('last_error');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('sent_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE notification_messages ADD CONSTRAINT notification_messages_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'suppressed'))`);
  await knex.raw('CREATE INDEX notification_messages_due_idx ON notification_messages (status, next_attempt_at)');
  await knex.raw(
    'CREATE INDEX notification_messages_request_idx ON notification_messages (service_request_id, id) WHERE service_request_id IS NOT NULL',
  );
  // The hourly cap counts what one address received in the last hour.
  await knex.raw(
    `CREATE INDEX notification_messages_recipient_idx ON notification_messages (recipient, sent_at) WHERE status = 'sent'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notification_messages');
  await knex.schema.dropTableIfExists('agency_digest_recipients');
  await knex.schema.dropTableIfExists('notification_subscriptions');
}
