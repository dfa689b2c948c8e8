import './style.css';
import { start } from './router.js';
import { startHeader } from './header.js';

startHeader();
start();
