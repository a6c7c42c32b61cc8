import { LitElement, css, html } from 'lit';
import './live-directory.ts';
import './live-viewer.ts';
import './live-studio.ts';

/** The shell: a header and one page chosen by the URL hash. */
export class LiveApp extends LitElement {
  static override properties = { route: { state: true } };
  declare route: string;

  static override styles = css`
    header { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: #15151d; }
    header a { color: #eee; text-decoration: none; }
    h1 { font-size: 1.2em; margin: 0; }
    main { padding: 24px; }
  `;

  constructor() {
    super();
    this.route = location.hash;
  }

  #onHash = () => { this.route = location.hash; };

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.#onHash);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.#onHash);
  }

  #page() {
    const watch = /^#\/watch\/([A-Za-z0-9_-]{43})$/.exec(this.route);
    if (watch) return html`<live-viewer .model=${watch[1]!}></live-viewer>`;
    if (this.route === '#/studio') return html`<live-studio></live-studio>`;
    return html`<live-directory></live-directory>`;
  }

  override render() {
    return html`
      <header><h1>LiveCam</h1><a href="#/">Watch</a><a href="#/studio">Go live</a></header>
      <main>${this.#page()}</main>`;
  }
}
customElements.define('live-app', LiveApp);
