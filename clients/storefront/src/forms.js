// Labelled form fields whose problems (RFC 7807, errors by field) show beside them.
import { h, replace, notice, describe } from './dom.js';
import { ApiError } from './api.js';

/** A labelled input; name is the problem's field name (e.g. "shipping.address.city"). */
export function field(label, name, attrs = {}) {
  const id = `field-${name.replace(/\W+/g, '-')}`;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const input = h(attrs.options ? 'select' : 'input', { id, name, 'aria-describedby': `${id}-error`, ...attrs, options: null },
    attrs.options?.map(([value, text]) => h('option', { value, selected: value === attrs.value }, text)));
  return h('div', { class: 'field', dataset: { field: name } }, h('label', { for: id }, label), input, error);
}

/** Clears earlier problems, then shows this one: each field's messages beside it, the rest in status. */
export function showProblem(form, status, error) {
  for (const message of form.querySelectorAll('.field-error')) {
    message.hidden = true;
    message.textContent = '';
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (!error) {
    replace(status);
    return;
  }
  let shown = false;
  const errors = error instanceof ApiError ? error.problem.errors ?? {} : {};
  for (const [name, messages] of Object.entries(errors)) {
    const box = [...form.querySelectorAll('[data-field]')].find((f) => f.dataset.field.toLowerCase() === name.toLowerCase());
    if (!box) continue;
    const message = box.querySelector('.field-error');
    message.textContent = messages.join(' ');
    message.hidden = false;
    box.querySelector('input, select')?.setAttribute('aria-invalid', 'true');
    shown = true;
  }
  // A 400 lists every field at fault; another refusal (a declined card, a taken email) says why in its detail.
  replace(status, notice(shown && error.status === 400 ? 'Please correct the fields marked below.' : describe(error), 'error'));
  form.querySelector('[aria-invalid]')?.focus();
}
