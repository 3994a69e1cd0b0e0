import type { Knex } from 'knex';

// Staff are people: accounts (password and/or single sign-on), two-factor, one-time sign-in links,
// server-side sessions, sign-in throttling, identity settings; the audit trail and keys name people;
// requests can be assigned to a person; response templates.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('staff_accounts', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('email').notNullable();
    table.text('display_name').notNullable();
    table.text('role').notNullable().defaultTo('staff');
    // Agency codes this person works for (optional; informs the console, never access).
    table.specificType('agencies', 'text[]').notNullable().defaultTo('{}');
    table.boolean('active').notNullable().defaultTo(true);
    // scrypt$N$r$p$salt$hash; null for accounts that sign in only through single sign-on or links.
    table.text('password_hash');
    table.text('totp_secret');
    table.timestamp('totp_enabled_at', { useTz: true });
    // Last TOTP time step accepted: a code is never accepted twice.
    table.bigInteger('totp_last_step');
    table.text('oidc_subject');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_sign_in_at', { useTz: true });
    table.timestamp('deactivated_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE staff_accounts ADD CONSTRAINT staff_accounts_role_check CHECK (role IN ('staff', 'admin'))`);
  await knex.raw('CREATE UNIQUE INDEX staff_accounts_email_unique ON staff_accounts (lower(email))');

  await knex.schema.createTable('staff_recovery_codes', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('staff_account_id').notNullable().references('staff_accounts.id').onDelete('CASCADE');
    table.text('code_hash').notNullable();
    table.timestamp('used_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX staff_recovery_codes_account_idx ON staff_recovery_codes (staff_account_id)');

  // Sessions are stored by the SHA-256 of their id: the store never holds a usable session id.
  await knex.schema.createTable('staff_sessions', (table) => {
    table.text('id_hash').primary();
    table.bigInteger('staff_account_id').notNullable().references('staff_accounts.id').onDelete('CASCADE');
    // password | link | oidc
    table.text('method').notNullable();
    // Password (or link) accepted, the second factor not yet: such a session authenticates nothing.
    table.boolean('second_factor_pending').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
  });
  await knex.raw('CREATE INDEX staff_sessions_account_idx ON staff_sessions (staff_account_id)');

  await knex.schema.createTable('staff_sign_in_links', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('token_hash').notNullable().unique();
    table.bigInteger('staff_account_id').notNullable().references('staff_accounts.id').onDelete('CASCADE');
    table.text('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true });
  });

  // Failed sign-ins per account e-mail and per client address, in the store so every node sees them.
  await knex.schema.createTable('staff_sign_in_failures', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('subject').notNullable();
    table.timestamp('failed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX staff_sign_in_failures_subject_idx ON staff_sign_in_failures (subject, failed_at)');

  // OpenID Connect sign-ins in flight: state → PKCE verifier and nonce (any node may receive the callback).
  await knex.schema.createTable('staff_oidc_states', (table) => {
    table.text('state_hash').primary();
    table.text('code_verifier').notNullable();
    table.text('nonce').notNullable();
    table.text('next_path').notNullable().defaultTo('/staff/');
    table.timestamp('expires_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('identity_settings', (table) => {
    table.text('name').primary();
    table.jsonb('value').notNullable();
  });

  await knex.schema.alterTable('audit_log', (table) => {
    table.bigInteger('actor_staff_id').references('staff_accounts.id').onDelete('SET NULL');
  });
  await knex.schema.alterTable('api_keys', (table) => {
    table.bigInteger('created_by_staff_id').references('staff_accounts.id').onDelete('SET NULL');
    table.text('created_by_name');
  });
  await knex.schema.alterTable('service_requests', (table) => {
    table.bigInteger('assigned_staff_id').references('staff_accounts.id').onDelete('SET NULL');
  });
  await knex.raw(
    'CREATE INDEX service_requests_assigned_idx ON service_requests (assigned_staff_id) WHERE assigned_staff_id IS NOT NULL',
  );

  await knex.schema.createTable('response_templates', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('name').notNullable();
    table.text('text').notNullable();
    // Offered for this service only / this detailed status only (null: any).
    table.text('service_code');
    table.text('status');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['jurisdiction_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('response_templates');
  await knex.raw('DROP INDEX IF EXISTS service_requests_assigned_idx');
  await knex.schema.alterTable('service_requests', (table) => {
    table.dropColumn('assigned_staff_id');
  });
  await knex.schema.alterTable('api_keys', (table) => {
    table.dropColumn('created_by_name');
    table.dropColumn('created_by_staff_id');
  });
  await knex.schema.alterTable('audit_log', (table) => {
    table.dropColumn('actor_staff_id');
  });
  await knex.schema.dropTableIfExists('identity_settings');
  await knex.schema.dropTableIfExists('staff_oidc_states');
  await knex.schema.dropTableIfExists('staff_sign_in_failures');
  await knex.schema.dropTableIfExists('staff_sign_in_links');
  await knex.schema.dropTableIfExists('staff_sessions');
  await knex.schema.dropTableIfExists('staff_recovery_codes');
  await knex.schema.dropTableIfExists('staff_accounts');
}
