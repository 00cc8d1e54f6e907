// Building elements without innerHTML: every text from the API goes in as text, never as markup.

/** `h('a', { href, class: 'x' }, 'text', child)`; attributes `on*` take listeners, `dataset` an object. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A section with a heading (an `id` on the heading so the section is labelled by it). */
export function section(id, title, ...children) {
  const headingId = `${id}-title`;
  return h('section', { class: 'panel', id, 'aria-labelledby': headingId }, h('h2', { id: headingId }, title), ...children);
}

const isCell = (cell) => cell instanceof Node && (cell.tagName === 'TD' || cell.tagName === 'TH');

/** A table whose header cells are `scope=col`; a row is an array of cells (elements or text), or `{ cells, attributes }`. */
export function table(caption, headers, rows, attributes = {}) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      attributes,
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((header) => (header instanceof Node ? header : h('th', { scope: 'col' }, header))))),
      h('tbody', {}, rows.map((row) => {
        const { cells, attributes: rowAttributes } = Array.isArray(row) ? { cells: row, attributes: {} } : row;
        return h('tr', rowAttributes, cells.map((cell, i) => (isCell(cell) ? cell : h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, cell))));
      })),
    ),
  );
}

export function clear(element) {
  element.replaceChildren();
  return element;
}
