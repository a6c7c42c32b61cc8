/**
 * The model's camera and microphone: the devices this browser has (and when that list changes), one stream
 * from the chosen ones, switching a device while the stream is in use (the new track is announced so that a
 * live WHIP connection can `replaceTrack` it without ending the show), and the microphone's level from a Web
 * Audio AnalyserNode. No UI: the studio's device picker shows it.
 */
import { ClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';

/** `idle` before the first open; `denied`: the person or the browser refused the permission. */
export type MediaDevicesState = 'idle' | 'opening' | 'ready' | 'denied' | 'unavailable' | 'closed';

/** One camera or microphone as the picker lists it. */
export interface DeviceChoice {
  deviceId: string;
  /** The browser's name for it; empty until a permission was given, so a fallback like "Camera 2" is used. */
  label: string;
}

export interface MediaDevicesEvents {
  state: [state: MediaDevicesState];
  /** The lists of cameras and microphones (after an open, and on every `devicechange`). */
  devices: [cameras: DeviceChoice[], microphones: DeviceChoice[]];
  /** A track of the stream was replaced by one from another device (the old one is stopped). */
  track: [track: MediaStreamTrack, kind: 'audio' | 'video'];
  /** The microphone's level, 0..1 (peak of the last ~200 ms), about ten times a second while open. */
  level: [level: number];
}

export interface MediaDeviceServiceOptions {
  /** The browser's media devices (default `navigator.mediaDevices`). */
  mediaDevices?: MediaDevices;
  /** Video constraints besides the device (default 1280x720 at 30 fps). */
  video?: MediaTrackConstraints;
  /** How often the level is measured, ms (default 100). */
  levelIntervalMs?: number;
}

const DEFAULT_VIDEO: MediaTrackConstraints = { width: 1280, height: 720, frameRate: 30 };

/** A getUserMedia failure as the browser's error code: denied, or no such (working) device. */
function mediaError(err: unknown): ClientError {
  const name = (err as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return new ClientError('CAMERA_DENIED', 'camera or microphone permission denied', { cause: err });
  }
  return new ClientError('CAMERA_UNAVAILABLE', `camera or microphone unavailable (${name || String(err)})`, { cause: err });
}

export class MediaDeviceService {
  readonly events = new Emitter<MediaDevicesEvents>();
  readonly #devices: MediaDevices;
  readonly #video: MediaTrackConstraints;
  readonly #levelIntervalMs: number;
  #state: MediaDevicesState = 'idle';
  #stream: MediaStream | null = null;
  /** The open in flight: a second `open()` (Go live while the camera is still starting) waits for the same one. */
  #opening: Promise<MediaStream> | null = null;
  #cameras: DeviceChoice[] = [];
  #microphones: DeviceChoice[] = [];
  #audio: { context: AudioContext; source: MediaStreamAudioSourceNode; analyser: AnalyserNode; samples: Float32Array<ArrayBuffer> } | null = null;
  #levelTimer: ReturnType<typeof setInterval> | null = null;
  #peaks: number[] = [];
  readonly #onDeviceChange = (): void => { void this.refresh(); };

  constructor(options: MediaDeviceServiceOptions = {}) {
    this.#devices = options.mediaDevices ?? navigator.mediaDevices;
    this.#video = options.video ?? DEFAULT_VIDEO;
    this.#levelIntervalMs = options.levelIntervalMs ?? 100;
    this.#devices?.addEventListener('devicechange', this.#onDeviceChange);
  }

  get state(): MediaDevicesState { return this.#state; }
  /** The open stream (one video and one audio track), or null. */
  get stream(): MediaStream | null { return this.#stream; }
  get cameras(): DeviceChoice[] { return this.#cameras; }
  get microphones(): DeviceChoice[] { return this.#microphones; }
  /** The device of the open camera / microphone track, '' when none. */
  get cameraId(): string { return this.#trackDevice('video'); }
  get microphoneId(): string { return this.#trackDevice('audio'); }

  #trackDevice(kind: 'audio' | 'video'): string {
    const track = kind === 'video' ? this.#stream?.getVideoTracks()[0] : this.#stream?.getAudioTracks()[0];
    return track?.getSettings().deviceId ?? '';
  }

  #setState(state: MediaDevicesState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.events.emit('state', state);
  }

  /** Reads the device lists again (labels appear once a permission was given). */
  async refresh(): Promise<void> {
    if (this.#state === 'closed' || !this.#devices) return;
    const all = await this.#devices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
    const pick = (kind: MediaDeviceKind, name: string): DeviceChoice[] => all
      .filter((d) => d.kind === kind && d.deviceId !== '')
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${name} ${i + 1}` }));
    this.#cameras = pick('videoinput', 'Camera');
    this.#microphones = pick('audioinput', 'Microphone');
    this.events.emit('devices', this.#cameras, this.#microphones);
  }

  /**
   * Opens the chosen devices (the browser's default for one not given) and returns the stream; an open stream
   * is returned as it is. Rejects with CAMERA_DENIED (permission refused) or CAMERA_UNAVAILABLE.
   */
  open(choice: { cameraId?: string; microphoneId?: string } = {}): Promise<MediaStream> {
    if (this.#stream) return Promise.resolve(this.#stream);
    this.#opening ??= this.#open(choice).finally(() => { this.#opening = null; });
    return this.#opening;
  }

  async #open(choice: { cameraId?: string; microphoneId?: string }): Promise<MediaStream> {
    if (this.#state === 'closed') throw new ClientError('CAMERA_UNAVAILABLE', 'the devices were closed');
    if (!this.#devices?.getUserMedia) {
      this.#setState('unavailable');
      throw new ClientError('CAMERA_UNAVAILABLE', 'this browser gives no camera access (not a secure page?)');
    }
    this.#setState('opening');
    let stream: MediaStream;
    try {
      stream = await this.#devices.getUserMedia({
        video: { ...this.#video, ...(choice.cameraId ? { deviceId: { exact: choice.cameraId } } : {}) },
        audio: choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : true,
      });
    } catch (err) {
      const e = mediaError(err);
      this.#setState(e.code === 'CAMERA_DENIED' ? 'denied' : 'unavailable');
      throw e;
    }
    if ((this.#state as MediaDevicesState) === 'closed') {
      stream.getTracks().forEach((t) => t.stop());
      throw new ClientError('CAMERA_UNAVAILABLE', 'the devices were closed');
    }
    this.#stream = stream;
    this.#listenLevel();
    this.#setState('ready');
    await this.refresh();
    return stream;
  }

  /** Switches the camera of the open stream; emits `track` with the new one. */
  useCamera(deviceId: string): Promise<MediaStreamTrack> {
    return this.#use('video', deviceId);
  }

  /** Switches the microphone of the open stream; emits `track` with the new one. */
  useMicrophone(deviceId: string): Promise<MediaStreamTrack> {
    return this.#use('audio', deviceId);
  }

  async #use(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
    const stream = this.#stream;
    if (!stream) throw new ClientError('CAMERA_UNAVAILABLE', 'open the devices first');
    const old = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (old && old.getSettings().deviceId === deviceId && old.readyState === 'live') return old;
    let fresh: MediaStream;
    try {
      fresh = await this.#devices.getUserMedia(kind === 'video'
        ? { video: { ...this.#video, deviceId: { exact: deviceId } } }
        : { audio: { deviceId: { exact: deviceId } } });
    } catch (err) {
      throw mediaError(err);
    }
    const track = (kind === 'video' ? fresh.getVideoTracks() : fresh.getAudioTracks())[0]!;
    if (this.#stream !== stream) {
      track.stop();
      throw new ClientError('CAMERA_UNAVAILABLE', 'the devices were closed');
    }
    if (old) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
    if (kind === 'audio') this.#listenLevel();
    this.events.emit('track', track, kind);
    return track;
  }

  #listenLevel(): void {
    this.#stopLevel();
    const track = this.#stream?.getAudioTracks()[0];
    if (!track || typeof AudioContext === 'undefined') return;
    const context = new AudioContext();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    this.#audio = { context, source, analyser, samples: new Float32Array(analyser.fftSize) };
    // A context made outside a click may start suspended: the level needs it running.
    void context.resume().catch(() => undefined);
    this.#levelTimer = setInterval(() => this.#measure(), this.#levelIntervalMs);
  }

  #measure(): void {
    const audio = this.#audio;
    if (!audio) return;
    audio.analyser.getFloatTimeDomainData(audio.samples);
    let peak = 0;
    for (const v of audio.samples) peak = Math.max(peak, Math.abs(v));
    this.#peaks.push(Math.min(1, peak));
    if (this.#peaks.length > Math.max(1, Math.round(200 / this.#levelIntervalMs))) this.#peaks.shift();
    this.events.emit('level', Math.max(...this.#peaks));
  }

  #stopLevel(): void {
    if (this.#levelTimer) clearInterval(this.#levelTimer);
    this.#levelTimer = null;
    this.#peaks = [];
    if (this.#audio) {
      this.#audio.source.disconnect();
      void this.#audio.context.close().catch(() => undefined);
      this.#audio = null;
    }
  }

  /** Stops the stream's tracks and the level (the devices can be opened again). */
  stop(): void {
    this.#stopLevel();
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
    if (this.#state !== 'closed') this.#setState('idle');
  }

  /** Stops everything and stops listening for device changes; idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.stop();
    this.#setState('closed');
    this.#devices?.removeEventListener('devicechange', this.#onDeviceChange);
    this.events.clear();
  }
}
