// The mail template syntax and the notification settings: pure functions.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isValidEmail, languageOf } from '../../src/notifications/address.js';
import { MailTemplates, parseTextTemplate, renderTemplate } from '../../src/notifications/templates.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

describe('mail templates', () => {
  const template = {
    subject: 'Request {{request.id}}\n– {{city}}',
    text: '{{#note}}Note: {{note}}\n{{/note}}{{^note}}No note\n{{/note}}{{#items}}- {{id}} {{city}}\n{{/items}}{{unknown}}{{constructor}}',
    html: '<p>{{note}}</p><title>{{subject}}</title>',
  };

  it('fill values, escape them in HTML only, show sections when set and repeat them for lists', () => {
    const rendered = renderTemplate(template, {
      city: 'Lancaster',
      request: { id: '42' },
      note: '<b>"hi" & bye</b>',
      items: [{ id: '1' }, { id: '2' }],
    });
    expect(rendered.subject).to.equal('Request 42 – Lancaster');
    expect(rendered.text).to.equal('Note: <b>"hi" & bye</b>\n- 1 Lancaster\n- 2 Lancaster\n');
    expect(rendered.html).to.equal('<p>&lt;b&gt;&quot;hi&quot; &amp; bye&lt;/b&gt;</p><title>Request 42 – Lancaster</title>');
  });

  it('render nothing for unset values and inherited names, and the inverted section instead', () => {
    const rendered = renderTemplate(template, { city: 'Lancaster', items: [] });
    expect(rendered.text).to.equal('No note\n');
  });

  it('every shipped template exists in English and Spanish, starts with a subject and renders', () => {
    const templates = new MailTemplates(`${PROJECT_ROOT}/templates/mail`);
    for (const name of ['confirmation', 'update', 'closed', 'follow-confirm', 'alert-confirm', 'alert', 'alert-digest']) {
      for (const language of ['en', 'es'] as const) {
        const rendered = templates.render(language, name, { city: 'Lancaster', unsubscribe_url: 'https://x.example/u' });
        expect(rendered.subject, `${language}/${name}`).to.not.equal('');
        expect(rendered.html, `${language}/${name}`).to.include(`lang="${language}"`).and.include('https://x.example/u');
        expect(rendered.text).to.include('https://x.example/u');
      }
    }
    expect(() => parseTextTemplate('No subject line', 'x.txt')).to.throw(/Subject/);
  });
});

describe('notification settings and addresses', () => {
  it('accept smtp:// and smtps:// URLs only, and a valid MAIL_FROM', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.org:465' }).smtpUrl).to.equal('smtps://u:p@mail.example.org:465');
    expect(loadConfig({}).smtpUrl).to.equal(undefined);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.org' })).to.throw(ConfigError, /SMTP_URL/);
    expect(loadConfig({ MAIL_FROM: 'City 311 <311@city.example.gov>' }).mailFrom).to.equal('City 311 <311@city.example.gov>');
    expect(() => loadConfig({ MAIL_FROM: 'nobody' })).to.throw(ConfigError, /MAIL_FROM/);
  });

  it('validate addresses and pick the language', () => {
    for (const good of ['a@example.org', 'first.last+311@sub.example.co.uk']) expect(isValidEmail(good), good).to.equal(true);
    for (const bad of ['', 'a@', '@example.org', 'a@example', 'a b@example.org', 'a..b@example.org', 'a@-x.org'])
      expect(isValidEmail(bad), bad).to.equal(false);
    expect(languageOf('es-MX')).to.equal('es');
    expect(languageOf('es_US')).to.equal('es');
    expect(languageOf('en-US')).to.equal('en');
    expect(languageOf('estonian')).to.equal('en');
    expect(languageOf(undefined)).to.equal('en');
  });
});
