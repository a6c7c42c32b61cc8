import './live-app.ts';
