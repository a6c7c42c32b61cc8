import { LitElement, css, html, nothing } from 'lit';
import { LIMITS } from '../../signaling/protocol.ts';
import {
  LANGUAGES, PROFILE_LIMITS, checkProfile, type ProfileChecked, type ProfileForm, type ProfileProblems,
} from '../lib/profile-fields.ts';

/** Where a save stands: `loading` the stored profile, `saved` / `failed` after a save. */
export type ProfileEditorState = 'loading' | 'idle' | 'saving' | 'saved' | 'failed';

const EMPTY: ProfileForm = { stageName: '', about: '', languages: [], tags: '', price: '0', minMinutes: '5' };

/**
 * The model's stage profile (stage name, about, languages, tags: sealed, seen only by the model) and the
 * private-show price and minimum (public: the directory shows them). Each field is checked here with the
 * server's limits before anything is sent; a refused field says why next to it.
 *
 * @fires profile-save - every field is fine; detail `{ profile, pricePerMinute, minMinutes }` (lib/profile-fields.ts)
 */
export class ProfileEditor extends LitElement {
  static override properties = {
    form: { attribute: false }, state: { type: String }, status: { type: String }, problems: { state: true },
  };
  /** The values to show (the stored profile once loaded). */
  declare form: ProfileForm;
  declare state: ProfileEditorState;
  /** Plain words of the last save or load ('' for none). */
  declare status: string;
  declare problems: ProfileProblems;

  static override styles = css`
    form { display: grid; gap: 12px; max-width: 40em; }
    fieldset { border: 1px solid #333; border-radius: 8px; display: grid; gap: 10px; padding: 12px; }
    legend { font-weight: bold; }
    label { display: grid; gap: 4px; }
    input, textarea, select { padding: 6px; font: inherit; }
    textarea { min-height: 5em; }
    .row { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
    .who { font-size: 0.9em; color: #aaa; margin: 0; }
    .problem { color: #ff8fa3; margin: 0; font-size: 0.9em; }
    :focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.form = EMPTY;
    this.state = 'idle';
    this.status = '';
    this.problems = {};
  }

  #read(): ProfileForm {
    const root = this.renderRoot;
    const value = (id: string) => root.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`)!.value;
    const languages = [...root.querySelector<HTMLSelectElement>('#profile-languages')!.selectedOptions].map((o) => o.value);
    return {
      stageName: value('profile-stage-name'), about: value('profile-about'), languages, tags: value('profile-tags'),
      price: value('price'), minMinutes: value('min-minutes'),
    };
  }

  #submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const checked = checkProfile(this.#read());
    if (!checked.ok) {
      this.problems = checked.problems;
      // The first refused field gets the focus, so a keyboard or screen-reader user lands on the note.
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    this.problems = {};
    this.dispatchEvent(new CustomEvent<ProfileChecked>('profile-save', { detail: checked.value, bubbles: true, composed: true }));
  };

  #problem(field: keyof ProfileForm) {
    const text = this.problems[field];
    return text ? html`<p class="problem" id=${`problem-${field}`} role="alert">${text}</p>` : nothing;
  }

  #invalid(field: keyof ProfileForm): 'true' | 'false' {
    return this.problems[field] ? 'true' : 'false';
  }

  override render() {
    const f = this.form;
    const busy = this.state === 'loading' || this.state === 'saving';
    return html`<form @submit=${this.#submit} novalidate aria-busy=${busy ? 'true' : 'false'}>
      <fieldset ?disabled=${this.state === 'loading'}>
        <legend>Stage profile</legend>
        <p class="who" id="profile-private-note">Only you see this: the server keeps it encrypted under your key and shows it to nobody, viewers included. Viewers see your pseudonym and identity picture.</p>
        <label>Stage name
          <input id="profile-stage-name" .value=${f.stageName} maxlength=${PROFILE_LIMITS.stageNameMaxLength + 20}
            aria-invalid=${this.#invalid('stageName')} aria-describedby="problem-stageName"></label>
        ${this.#problem('stageName')}
        <label>About you
          <textarea id="profile-about" .value=${f.about} aria-invalid=${this.#invalid('about')} aria-describedby="problem-about"></textarea></label>
        ${this.#problem('about')}
        <label>Languages you speak (up to ${PROFILE_LIMITS.maxLanguages}; Ctrl or ⌘ to pick several)
          <select id="profile-languages" multiple size="5" aria-invalid=${this.#invalid('languages')} aria-describedby="problem-languages">
            ${Object.entries(LANGUAGES).map(([code, name]) => html`<option value=${code} ?selected=${f.languages.includes(code)}>${name}</option>`)}
          </select></label>
        ${this.#problem('languages')}
        <label>Tags (comma-separated, up to ${PROFILE_LIMITS.maxTags})
          <input id="profile-tags" .value=${f.tags} placeholder="cosplay, music" aria-invalid=${this.#invalid('tags')} aria-describedby="problem-tags"></label>
        ${this.#problem('tags')}
      </fieldset>
      <fieldset ?disabled=${this.state === 'loading'}>
        <legend>Private shows</legend>
        <p class="who">Public: the directory shows your price and minimum to everyone.</p>
        <div class="row">
          <label>Price, LIVE per minute
            <input id="price" inputmode="decimal" .value=${f.price} aria-invalid=${this.#invalid('price')} aria-describedby="problem-price"></label>
          <label>Minimum minutes
            <input id="min-minutes" type="number" min="1" max=${LIMITS.privateMaxMinMinutes} .value=${f.minMinutes}
              aria-invalid=${this.#invalid('minMinutes')} aria-describedby="problem-minMinutes"></label>
        </div>
        ${this.#problem('price')}${this.#problem('minMinutes')}
      </fieldset>
      <p><button type="submit" id="set-price" ?disabled=${busy}>${this.state === 'saving' ? 'Saving…' : 'Save profile and price'}</button></p>
      ${this.status ? html`<p id="profile-status" role=${this.state === 'failed' ? 'alert' : 'status'} data-state=${this.state}>${this.status}</p>` : nothing}
    </form>`;
  }
}
customElements.define('profile-editor', ProfileEditor);

declare global {
  interface HTMLElementTagNameMap { 'profile-editor': ProfileEditor }
  interface HTMLElementEventMap { 'profile-save': CustomEvent<ProfileChecked> }
}
