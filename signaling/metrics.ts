/** Prometheus metrics of one signaling process. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class SignalingMetrics {
  readonly registry: Registry;
  readonly connections: Gauge;
  readonly events: Counter<'event' | 'result'>;
  readonly eventSeconds: Histogram<'event'>;
  readonly chatMessages: Counter<'kind'>;
  readonly rateLimited: Counter<'limit'>;
  readonly shows: Gauge;
  readonly privateSessions: Counter<'outcome'>;
  readonly connectionsRefused: Counter<'reason'>;

  constructor(registry?: Registry) {
    this.registry = registry ?? new Registry();
    if (!registry) collectDefaultMetrics({ register: this.registry, prefix: 'signaling_' });
    const r = [this.registry];
    this.connections = new Gauge({ name: 'signaling_connections', help: 'Sockets connected to this process', registers: r });
    this.events = new Counter({ name: 'signaling_events_total', help: 'Client events by outcome', labelNames: ['event', 'result'], registers: r });
    this.eventSeconds = new Histogram({ name: 'signaling_event_seconds', help: 'Client event handling time', labelNames: ['event'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 2], registers: r });
    this.chatMessages = new Counter({ name: 'signaling_chat_messages_total', help: 'Chat messages accepted', labelNames: ['kind'], registers: r });
    this.rateLimited = new Counter({ name: 'signaling_rate_limited_total', help: 'Events refused by a rate limit', labelNames: ['limit'], registers: r });
    this.shows = new Gauge({ name: 'signaling_shows_local', help: 'Public shows whose model is connected to this process', registers: r });
    this.privateSessions = new Counter({ name: 'signaling_private_sessions_total', help: 'Private sessions by outcome', labelNames: ['outcome'], registers: r });
    this.connectionsRefused = new Counter({ name: 'signaling_connections_refused_total', help: 'Connections refused by a limit', labelNames: ['reason'], registers: r });
  }
}
