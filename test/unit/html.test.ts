import { expect } from 'chai';
import { html, raw } from '../../src/http/pages/html.js';

describe('html templates', () => {
  it('escape interpolated text, attributes included', () => {
    const name = `<script>alert("x")</script> & 'q'`;
    expect(String(html`<p title="${name}">${name}</p>`)).to.equal(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>',
    );
  });
  it('nest templates and arrays without double escaping; skip null, undefined and false', () => {
    const items = ['a<b', 'c'];
    expect(String(html`<ul>${items.map((item) => html`<li>${item}</li>`)}${null}${undefined}${false}</ul>`)).to.equal(
      '<ul><li>a&lt;b</li><li>c</li></ul>',
    );
    expect(String(html`${raw('<hr>')}${0}`)).to.equal('<hr>0');
  });
});
