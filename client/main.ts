import './components/live-app.ts';
