/**
 * The Lit context that carries the tab's Services from the app shell to every
 * page and component below it (instead of module singletons).
 */
import { createContext, ContextConsumer } from '@lit/context';
import type { ReactiveControllerHost } from 'lit';
import type { Services } from './services/services.ts';

export const servicesContext = createContext<Services>(Symbol('livecam-services'));

/**
 * The services for `host`, resolved when it connects under the app shell.
 * Call in a field initializer; read `.value` from connectedCallback on.
 */
export function consumeServices(host: ReactiveControllerHost & HTMLElement): ContextConsumer<typeof servicesContext, ReactiveControllerHost & HTMLElement> {
  return new ContextConsumer(host, { context: servicesContext });
}
