import './style.css';
import { start } from './router.js';
import { startHeader } from './header.js';
import { showFlashSaleBanner } from './pages/flash-sale.banner.js';

startHeader();
showFlashSaleBanner();
start();
