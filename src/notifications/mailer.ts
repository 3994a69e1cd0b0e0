// The SMTP side of notifications, through nodemailer: SMTP_URL (smtp:// or smtps://, credentials in the URL)
// and MAIL_FROM. One connection per message (no pool): an SMTP server that restarts costs nothing to recover.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config } from '../config.js';
import type { OutgoingMail } from './messages.js';

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'notifyTimeoutMs'>): Mailer {
  if (!config.smtpUrl) throw new Error('createMailer needs SMTP_URL');
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: config.notifyTimeoutMs,
    greetingTimeout: config.notifyTimeoutMs,
    socketTimeout: config.notifyTimeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  } as SMTPTransport.Options);
  return {
    async send(mail) {
      await transport.sendMail({
        from: config.mailFrom,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
        messageId: mail.messageId,
      });
    },
    close() {
      transport.close();
    },
  };
}
