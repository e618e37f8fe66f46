// A tiny well-formedness checker for the SVG we write (no XML parser is
// installed, and the figures use a small subset of XML): balanced tags, quoted
// and unique attributes, valid entities, one root, no text outside it.
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  /** Text directly inside the element, entities decoded. */
  text: string;
}

const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
const ATTR = /([A-Za-z_][\w:.-]*)\s*=\s*"([^"<]*)"/g;

function decode(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Parses `xml`, throwing on the first well-formedness error; returns the elements in document order. */
export function parseXml(xml: string): XmlElement[] {
  let s = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const out: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let roots = 0;
  let i = 0;
  while (i < s.length) {
    if (s[i] === '<') {
      TAG.lastIndex = i;
      const m = TAG.exec(s);
      if (!m) throw new Error(`malformed tag at ${i}: ${s.slice(i, i + 40)}`);
      const [whole, close, name, attrText, selfClose] = m;
      if (close) {
        const open = stack.pop();
        if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at ${i}`);
      } else {
        const attrs: Record<string, string> = {};
        for (const a of attrText!.matchAll(ATTR)) {
          if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
          if (ENTITY.test(a[2]!)) throw new Error(`bad entity in attribute ${a[1]} of <${name}>`);
          attrs[a[1]!] = decode(a[2]!);
        }
        if (stack.length === 0 && ++roots > 1) throw new Error('more than one root element');
        const el: XmlElement = { name: name!, attrs, text: '' };
        out.push(el);
        if (!selfClose) stack.push(el);
      }
      i += whole.length;
    } else {
      const j = s.indexOf('<', i);
      const text = s.slice(i, j < 0 ? s.length : j);
      if (ENTITY.test(text)) throw new Error(`bad entity in text at ${i}`);
      if (stack.length === 0) {
        if (text.trim()) throw new Error(`text outside the root element: ${text.slice(0, 30)}`);
      } else stack[stack.length - 1]!.text += decode(text);
      i = j < 0 ? s.length : j;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (roots !== 1) throw new Error('no root element');
  s = '';
  return out;
}

export function byClass(els: readonly XmlElement[], cls: string): XmlElement[] {
  return els.filter((e) => (e.attrs['class'] ?? '').split(/\s+/).includes(cls));
}
