import { LitElement, css, html } from 'lit';
import { LIMITS, type TipGoal, type TipMenuItem } from '../../signaling/protocol.ts';
import type { Session } from '../services/session.ts';
import { formatAmount, parseAmount } from '../format.ts';
import { MESSAGES, messageFor } from '../messages.ts';

/** Detail of `tip-editor-request`: the page runs it with its model session (the element holds no connection). */
export interface TipEditorRequest { run: (session: Pick<Session, 'request'>) => Promise<void> }

interface Row { label: string; amount: string }

/**
 * The model's tip menu (priced actions, e.g. "Dance - 5 LIVE") and tip goal (a title and a target), both public.
 * It reads them when `model-key` is set and saves each with its own button; the requests go through the page's
 * session, which runs what `tip-editor-request` hands it.
 *
 * @fires tip-editor-request - a request to run with the model's session; detail `{ run(session) }`
 */
export class TipMenuEditor extends LitElement {
  static override properties = {
    modelKey: { type: String, attribute: 'model-key' },
    rows: { state: true }, goal: { state: true }, status: { state: true }, busy: { state: true }, invalid: { state: true },
  };
  /** The model's identity key: the menu and goal are read once it is known. */
  declare modelKey: string;
  declare rows: Row[];
  declare goal: TipGoal | null;
  declare status: string;
  declare busy: boolean;
  /** Which field failed the form's check ('' for none). */
  declare invalid: string;
  #loadedFor = '';

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 16px; }
    h3 { margin: 0 0 8px; font-size: 1.1em; }
    fieldset { border: 1px solid #333; border-radius: 8px; margin: 0 0 12px; padding: 8px 12px 12px; }
    legend { color: #ccc; padding: 0 4px; }
    ol { padding-left: 1.4em; margin: 4px 0 8px; display: grid; gap: 6px; }
    li { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
    input { font: inherit; padding: 8px; border-radius: 6px; border: 1px solid #555; background: #0e0e14; color: #eee; min-height: 28px; }
    input.amount { width: 7em; }
    input[aria-invalid='true'] { border-color: #ff4d6d; }
    label { display: flex; flex-direction: column; gap: 4px; color: #ccc; }
    .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
    button { font: inherit; min-height: 44px; padding: 0 14px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; }
    button.primary { background: #c9184a; border-color: #c9184a; color: white; }
    button:disabled { opacity: 0.6; cursor: default; }
    button:focus-visible, input:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    .hint { color: #999; margin: 4px 0; }
  `;

  constructor() {
    super();
    this.modelKey = '';
    this.rows = [];
    this.goal = null;
    this.status = '';
    this.busy = false;
    this.invalid = '';
  }

  override updated(): void {
    if (this.modelKey && this.#loadedFor !== this.modelKey) {
      this.#loadedFor = this.modelKey;
      const model = this.modelKey;
      this.#request(async (s) => {
        const { menu, goal } = await s.request('tips:get', { model });
        this.rows = menu.map(toRow);
        this.goal = goal;
      }, '');
    }
  }

  #request(work: (session: Pick<Session, 'request'>) => Promise<void>, done: string): void {
    this.busy = true;
    const run = async (session: Pick<Session, 'request'>): Promise<void> => {
      try {
        await work(session);
        this.status = done;
      } catch (err) {
        this.status = messageFor(err);
      }
      this.busy = false;
    };
    this.dispatchEvent(new CustomEvent<TipEditorRequest>('tip-editor-request', { detail: { run }, bubbles: true, composed: true }));
  }

  #edit(index: number, field: keyof Row, value: string): void {
    this.rows = this.rows.map((r, i) => (i === index ? { ...r, [field]: value } : r));
  }

  #saveMenu(e: SubmitEvent): void {
    e.preventDefault();
    const items: TipMenuItem[] = [];
    for (const [i, r] of this.rows.entries()) {
      const amount = parseAmount(r.amount);
      if (!r.label.trim()) { this.invalid = `label-${i}`; this.status = 'Give every action a name.'; return; }
      if (amount === null || amount <= 0n) { this.invalid = `amount-${i}`; this.status = MESSAGES.BAD_AMOUNT; return; }
      items.push({ label: r.label.trim(), amount: amount.toString() });
    }
    if (new Set(items.map((i) => i.label.toLowerCase())).size !== items.length) { this.invalid = 'labels'; this.status = 'Each action needs its own name.'; return; }
    this.invalid = '';
    this.#request(async (s) => { this.rows = (await s.request('tips:setMenu', { items })).menu.map(toRow); }, 'Tip menu saved: viewers see it now.');
  }

  #saveGoal(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const title = form.querySelector<HTMLInputElement>('#goal-title')!.value.trim();
    const target = parseAmount(form.querySelector<HTMLInputElement>('#goal-target')!.value);
    if (!title) { this.invalid = 'goal-title'; this.status = 'Give the goal a title.'; return; }
    if (target === null || target <= 0n) { this.invalid = 'goal-target'; this.status = MESSAGES.BAD_AMOUNT; return; }
    this.invalid = '';
    this.#request(async (s) => { this.goal = (await s.request('tips:setGoal', { goal: { title, target: target.toString() } })).goal; }, 'Goal set: it starts from zero.');
  }

  #clearGoal(): void {
    this.#request(async (s) => { this.goal = (await s.request('tips:setGoal', { goal: null })).goal; }, 'Goal removed.');
  }

  override render() {
    const g = this.goal;
    return html`
      <h3>Tips</h3>
      <form @submit=${this.#saveMenu}>
        <fieldset>
          <legend>Tip menu</legend>
          <p class="hint">Priced actions viewers can tip for, shown to everyone in your show.</p>
          <ol>${this.rows.map((r, i) => html`<li>
            <input class="label" aria-label=${`Action ${i + 1}`} placeholder="Dance" maxlength=${LIMITS.tipLabelMaxLength} .value=${r.label}
              aria-invalid=${this.invalid === `label-${i}` || this.invalid === 'labels' ? 'true' : 'false'}
              @input=${(e: Event) => this.#edit(i, 'label', (e.target as HTMLInputElement).value)}>
            <input class="amount" aria-label=${`Price of action ${i + 1} in LIVE`} inputmode="decimal" placeholder="LIVE" .value=${r.amount}
              aria-invalid=${this.invalid === `amount-${i}` ? 'true' : 'false'}
              @input=${(e: Event) => this.#edit(i, 'amount', (e.target as HTMLInputElement).value)}>
            <button type="button" aria-label=${`Remove action ${i + 1}`} @click=${() => { this.rows = this.rows.filter((_, j) => j !== i); }}>Remove</button>
          </li>`)}</ol>
          <div class="row">
            <button type="button" id="tip-add" ?disabled=${this.rows.length >= LIMITS.tipMenuMaxItems}
              @click=${() => { this.rows = [...this.rows, { label: '', amount: '' }]; }}>Add an action</button>
            <button type="submit" class="primary" id="tip-menu-save" ?disabled=${this.busy}>Save the menu</button>
          </div>
        </fieldset>
      </form>
      <form @submit=${this.#saveGoal}>
        <fieldset>
          <legend>Tip goal</legend>
          ${g ? html`<p class="hint" id="goal-current">Now: ${g.title}, ${formatAmount(BigInt(g.progress))} of ${formatAmount(BigInt(g.target))} LIVE.</p>` : ''}
          <div class="row">
            <label>Title <input id="goal-title" maxlength=${LIMITS.tipGoalTitleMaxLength} placeholder="New lights" .value=${g?.title ?? ''}
              aria-invalid=${this.invalid === 'goal-title' ? 'true' : 'false'}></label>
            <label>Target (LIVE) <input id="goal-target" class="amount" inputmode="decimal" .value=${g ? formatAmount(BigInt(g.target), 18).replace(/,/g, '') : ''}
              aria-invalid=${this.invalid === 'goal-target' ? 'true' : 'false'}></label>
            <button type="submit" class="primary" id="goal-save" ?disabled=${this.busy}>Set the goal</button>
            ${g ? html`<button type="button" id="goal-clear" ?disabled=${this.busy} @click=${this.#clearGoal}>Remove the goal</button>` : ''}
          </div>
        </fieldset>
      </form>
      <p role="status" id="tips-status">${this.status}</p>`;
  }
}
customElements.define('tip-menu-editor', TipMenuEditor);

const toRow = (i: TipMenuItem): Row => ({ label: i.label, amount: formatAmount(BigInt(i.amount), 18).replace(/,/g, '') });

declare global {
  interface HTMLElementTagNameMap { 'tip-menu-editor': TipMenuEditor }
  interface HTMLElementEventMap { 'tip-editor-request': CustomEvent<TipEditorRequest> }
}
