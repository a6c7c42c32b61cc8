import { LitElement, css, html } from 'lit';
import type { TipGoal } from '../../signaling/protocol.ts';
import { formatAmount } from '../format.ts';

/**
 * A model's tip goal with its progress in the current show, for everyone watching. Renders nothing without a goal.
 */
export class TipGoalView extends LitElement {
  static override properties = { goal: { attribute: false } };
  /** The goal as signaling pushes it (`tips:goal`), or null. */
  declare goal: TipGoal | null;

  static override styles = css`
    :host { display: block; }
    section { background: #1f1f2b; border-radius: 8px; padding: 10px 14px; }
    h3 { margin: 0 0 6px; font-size: 1em; }
    .bar { height: 14px; background: #0e0e14; border-radius: 7px; overflow: hidden; border: 1px solid #444; }
    .fill { height: 100%; background: linear-gradient(90deg, #ff4d6d, #ffb86b); }
    p { margin: 6px 0 0; color: #ccc; font-variant-numeric: tabular-nums; }
  `;

  constructor() {
    super();
    this.goal = null;
  }

  override render() {
    const g = this.goal;
    if (!g) return html``;
    const target = BigInt(g.target);
    const progress = BigInt(g.progress);
    // Whole percent, rounded down, capped at 100: a goal passed is full, not over.
    const percent = target > 0n ? Number((progress >= target ? target : progress) * 100n / target) : 0;
    const words = `${formatAmount(progress)} of ${formatAmount(target)} LIVE`;
    return html`<section aria-labelledby="goal-title">
      <h3 id="goal-title">Goal: <span id="goal-name">${g.title}</span></h3>
      <div class="bar" role="progressbar" id="goal-bar" aria-labelledby="goal-title" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow=${percent} aria-valuetext=${words}><div class="fill"></div></div>
      <p id="goal-progress" aria-live="polite">${words}${progress >= target ? ' — reached!' : ''}</p>
    </section>`;
  }

  // The fill's width is set through CSSOM after each render: the page's CSP (style-src 'self') refuses a style
  // attribute, and Lit's styleMap writes one on its first render.
  override updated(): void {
    const bar = this.renderRoot.querySelector<HTMLElement>('#goal-bar');
    const fill = bar?.querySelector<HTMLElement>('.fill');
    if (bar && fill) fill.style.width = `${bar.getAttribute('aria-valuenow') ?? '0'}%`;
  }
}
customElements.define('tip-goal', TipGoalView);

declare global {
  interface HTMLElementTagNameMap { 'tip-goal': TipGoalView }
}
