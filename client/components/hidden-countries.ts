import { LitElement, css, html, nothing } from 'lit';
import { COUNTRY_CODES } from '../../signaling/protocol.ts';

/** Detail of `hidden-countries-change`. */
export interface HiddenCountriesDetail { countries: string[] }

/** Country names in the browser's language (built in: nothing is fetched); the code when the browser has none. */
const names = (() => {
  try {
    const display = new Intl.DisplayNames(undefined, { type: 'region' });
    return (code: string) => display.of(code) ?? code;
  } catch {
    return (code: string) => code;
  }
})();

/**
 * The countries a model hides from, in the studio: the chosen ones with a button to remove each, a list to add one,
 * and plain words on what it does and does not do (a VPN defeats it). The server enforces it; this only asks.
 *
 * @fires hidden-countries-change - the model changed the list; detail `{ countries }`, the whole new list
 */
export class HiddenCountries extends LitElement {
  static override properties = { countries: { attribute: false }, busy: { type: Boolean }, status: { type: String } };
  /** The countries hidden from now (ISO 3166-1 alpha-2 codes). */
  declare countries: string[];
  /** A change is being saved. */
  declare busy: boolean;
  /** What the last save said, in plain words ('' for nothing). */
  declare status: string;

  static override styles = css`
    :host { display: block; max-width: 560px; margin-top: 24px; }
    h3 { margin: 0 0 6px; }
    ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
    li { background: #333; border-radius: 14px; padding: 2px 4px 2px 10px; }
    li button { border: 0; background: none; color: inherit; cursor: pointer; font-size: 1em; }
    .warn { color: #ffcf70; }
    .credit { font-size: .8em; color: #aaa; }
    .credit a { color: inherit; }
  `;

  constructor() {
    super();
    this.countries = [];
    this.busy = false;
    this.status = '';
  }

  #change(countries: string[]): void {
    this.dispatchEvent(new CustomEvent<HiddenCountriesDetail>('hidden-countries-change', { detail: { countries }, bubbles: true, composed: true }));
  }

  #add = (e: Event): void => {
    const select = e.target as HTMLSelectElement;
    const code = select.value;
    select.value = '';
    if (code && !this.countries.includes(code)) this.#change([...this.countries, code]);
  };

  override render() {
    const chosen = [...this.countries].sort((a, b) => names(a).localeCompare(names(b)));
    const left = COUNTRY_CODES.filter((c) => !this.countries.includes(c)).sort((a, b) => names(a).localeCompare(names(b)));
    return html`
      <h3>Hide from countries</h3>
      <p>People connecting from these countries do not see you in the list of models, cannot watch your show and
        cannot ask you for a private show.</p>
      <p class="warn">This goes by the country of their internet connection. Anyone using a VPN or a proxy in
        another country gets past it: it keeps casual viewers away, it cannot stop someone determined.</p>
      ${chosen.length ? html`<ul id="hidden-list">${chosen.map((c) => html`<li>${names(c)}
          <button aria-label="Show again to ${names(c)}" ?disabled=${this.busy}
            @click=${() => this.#change(this.countries.filter((x) => x !== c))}>×</button></li>`)}</ul>`
        : html`<p id="hidden-none">You are visible everywhere.</p>`}
      <label>Add a country
        <select id="hidden-add" ?disabled=${this.busy} @change=${this.#add}>
          <option value="">Choose…</option>
          ${left.map((c) => html`<option value=${c}>${names(c)}</option>`)}
        </select></label>
      ${this.status ? html`<p role="status" id="hidden-status">${this.status}</p>` : nothing}
      <p class="credit">Countries are looked up on our server, without storing addresses.
        <a href="https://db-ip.com" rel="noreferrer noopener" target="_blank">IP Geolocation by DB-IP</a></p>`;
  }
}
customElements.define('hidden-countries', HiddenCountries);

declare global {
  interface HTMLElementTagNameMap { 'hidden-countries': HiddenCountries }
}
