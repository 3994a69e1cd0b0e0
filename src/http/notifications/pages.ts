// The small public pages of e-mail notifications: "check your e-mail", confirm, unsubscribe, "not fixed?",
// the area alert form, and their error page. Server-rendered, escaped, no scripts; forms work without JavaScript.
import type { Language } from '../../notifications/address.js';
import { html, type SafeHtml } from '../pages/html.js';

type WordKey =
  | 'checkTitle'
  | 'checkBody'
  | 'confirmTitle'
  | 'confirmButton'
  | 'confirmedTitle'
  | 'confirmedBody'
  | 'unsubscribeTitle'
  | 'unsubscribeBody'
  | 'unsubscribeButton'
  | 'unsubscribedTitle'
  | 'notFixedTitle'
  | 'notFixedBody'
  | 'notFixedLabel'
  | 'notFixedButton'
  | 'thanksTitle'
  | 'thanksBody'
  | 'alertTitle'
  | 'email'
  | 'lat'
  | 'long'
  | 'radius'
  | 'serviceArea'
  | 'frequency'
  | 'immediate'
  | 'daily'
  | 'alertButton'
  | 'errorTitle'
  | 'request';
export type Words = Readonly<Record<WordKey, string>>;

const WORDS: Record<Language, Words> = {
  en: {
    checkTitle: 'Check your e-mail',
    checkBody: 'We sent a message to the address you gave. Click the link in it to confirm; nothing else is sent until you do.',
    confirmTitle: 'Confirm your subscription',
    confirmButton: 'Yes, send me these e-mails',
    confirmedTitle: 'Subscription confirmed',
    confirmedBody: 'You will receive an e-mail at each change. Every message has a link to stop.',
    unsubscribeTitle: 'Stop these e-mails',
    unsubscribeBody: 'You will no longer receive e-mails about this.',
    unsubscribeButton: 'Stop these e-mails',
    unsubscribedTitle: 'You are unsubscribed',
    notFixedTitle: 'Not fixed?',
    notFixedBody:
      'Tell the city what is still wrong. Your words are added to the public history of the request, and staff see them.',
    notFixedLabel: 'What is still wrong',
    notFixedButton: 'Send',
    thanksTitle: 'Thank you',
    thanksBody: 'Your update was added to the request. Staff will see it.',
    alertTitle: 'Alerts of new requests in an area',
    email: 'E-mail address',
    lat: 'Latitude',
    long: 'Longitude',
    radius: 'Radius in metres',
    serviceArea: 'Or the code of a service area',
    frequency: 'How often',
    immediate: 'One e-mail per new request',
    daily: 'A daily digest',
    alertButton: 'Send me a confirmation',
    errorTitle: 'Something is not right',
    request: 'Request',
  },
  es: {
    checkTitle: 'Revise su correo',
    checkBody:
      'Enviamos un mensaje a la dirección que indicó. Haga clic en su enlace para confirmar; no se enviará nada más hasta entonces.',
    confirmTitle: 'Confirme su suscripción',
    confirmButton: 'Sí, envíenme estos correos',
    confirmedTitle: 'Suscripción confirmada',
    confirmedBody: 'Recibirá un correo en cada cambio. Cada mensaje tiene un enlace para dejar de recibirlos.',
    unsubscribeTitle: 'Dejar de recibir estos correos',
    unsubscribeBody: 'Ya no recibirá correos sobre esto.',
    unsubscribeButton: 'Dejar de recibirlos',
    unsubscribedTitle: 'Suscripción cancelada',
    notFixedTitle: '¿No está resuelto?',
    notFixedBody: 'Díganos qué sigue mal. Su texto se añade al historial público de la solicitud y el personal lo verá.',
    notFixedLabel: 'Qué sigue mal',
    notFixedButton: 'Enviar',
    thanksTitle: 'Gracias',
    thanksBody: 'Su comentario se añadió a la solicitud. El personal lo verá.',
    alertTitle: 'Alertas de nuevas solicitudes en una zona',
    email: 'Correo electrónico',
    lat: 'Latitud',
    long: 'Longitud',
    radius: 'Radio en metros',
    serviceArea: 'O el código de una zona de servicio',
    frequency: 'Con qué frecuencia',
    immediate: 'Un correo por cada nueva solicitud',
    daily: 'Un resumen diario',
    alertButton: 'Enviarme una confirmación',
    errorTitle: 'Algo no está bien',
    request: 'Solicitud',
  },
};
export const wordsOf = (language: Language): Words => WORDS[language];

export function page(language: Language, city: string, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – ${city}</title>
<link rel="stylesheet" href="/assets/css/base.css">
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
<footer><p>${city}</p></footer>
</body>
</html>
`.toString();
}

export const message = (text: string): SafeHtml => html`<p>${text}</p>`;

export function confirmForm(words: Words, action: string): SafeHtml {
  return html`<form method="post" action="${action}"><button type="submit">${words.confirmButton}</button></form>`;
}

export function unsubscribeForm(words: Words, action: string): SafeHtml {
  return html`<p>${words.unsubscribeBody}</p>
<form method="post" action="${action}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${words.unsubscribeButton}</button>
</form>`;
}

export function notFixedForm(words: Words, action: string, requestId: string): SafeHtml {
  return html`<p>${words.request} ${requestId}. ${words.notFixedBody}</p>
<form method="post" action="${action}">
<label for="description">${words.notFixedLabel}</label>
<textarea id="description" name="description" rows="5" maxlength="4000" required></textarea>
<button type="submit">${words.notFixedButton}</button>
</form>`;
}

export function alertForm(words: Words, action: string, language: Language): SafeHtml {
  return html`<form method="post" action="${action}">
<input type="hidden" name="locale" value="${language}">
<p><label for="email">${words.email}</label>
<input id="email" name="email" type="email" autocomplete="email" required></p>
<p><label for="lat">${words.lat}</label> <input id="lat" name="lat" inputmode="decimal"></p>
<p><label for="long">${words.long}</label> <input id="long" name="long" inputmode="decimal"></p>
<p><label for="radius">${words.radius}</label> <input id="radius" name="radius" inputmode="numeric"></p>
<p><label for="service_area">${words.serviceArea}</label> <input id="service_area" name="service_area"></p>
<fieldset><legend>${words.frequency}</legend>
<p><input type="radio" id="frequency-immediate" name="frequency" value="immediate" checked>
<label for="frequency-immediate">${words.immediate}</label></p>
<p><input type="radio" id="frequency-daily" name="frequency" value="daily">
<label for="frequency-daily">${words.daily}</label></p>
</fieldset>
<button type="submit">${words.alertButton}</button>
</form>`;
}
