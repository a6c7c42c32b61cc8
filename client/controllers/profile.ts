/**
 * The studio's stage profile: loads the sealed profile (`profile:get`, served to its owner only) and the public
 * price and minimum (the model's own directory entry), and saves both (`profile:set`, then the price through
 * the private-show controller, whose status line says what viewers are offered).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Session } from '../services/session.ts';
import type { ProfileEditorState } from '../components/profile-editor.ts';
import type { PrivateStudioController } from './private-studio.ts';
import { formOf, profileFromFields, profileToFields, type ProfileChecked, type ProfileForm } from '../lib/profile-fields.ts';
import { messageFor } from '../messages.ts';

export class ProfileController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #private: PrivateStudioController;
  form: ProfileForm = { stageName: '', about: '', languages: [], tags: '', price: '0', minMinutes: '5' };
  state: ProfileEditorState = 'loading';
  status = '';

  constructor(host: ReactiveControllerHost, privateShows: PrivateStudioController) {
    this.#host = host;
    this.#private = privateShows;
    host.addController(this);
  }

  hostConnected(): void {}

  /** Reads the stored profile and the price (after the session's login). */
  async load(session: Session, key: string): Promise<void> {
    this.state = 'loading';
    this.#host.requestUpdate();
    try {
      const [{ fields }, { models }] = await Promise.all([
        session.request('profile:get', {}),
        session.request('directory:subscribe', {}),
      ]);
      await session.request('directory:unsubscribe', {}).catch(() => undefined);
      const own = models.find((m) => m.key === key);
      this.form = formOf(profileFromFields(fields), BigInt(own?.pricePerMinute ?? '0'), own?.minMinutes ?? 5);
      this.state = 'idle';
      this.status = '';
    } catch (err) {
      this.state = 'failed';
      this.status = `Your saved profile could not be read: ${messageFor(err)}`;
    }
    this.#host.requestUpdate();
  }

  async save(session: Session, value: ProfileChecked): Promise<void> {
    this.state = 'saving';
    this.status = '';
    this.#host.requestUpdate();
    try {
      await session.request('profile:set', { fields: profileToFields(value.profile) });
    } catch (err) {
      this.#failed(messageFor(err));
      return;
    }
    // setPrice reports in its own status line; `price` is set again only when the server took it.
    this.#private.price = null;
    await this.#private.setPrice(value.pricePerMinute, value.minMinutes);
    if (!this.#private.price) {
      this.#failed(`your profile is saved, the price is not: ${this.#private.status}`);
      return;
    }
    this.form = formOf(value.profile, value.pricePerMinute, value.minMinutes);
    this.state = 'saved';
    this.status = `Saved at ${new Date().toLocaleTimeString()}.`;
    this.#host.requestUpdate();
  }

  #failed(why: string): void {
    this.state = 'failed';
    this.status = `Not saved: ${why}`;
    this.#host.requestUpdate();
  }
}
