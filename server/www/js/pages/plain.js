/* plain.js - a page with nothing of its own to load (404.html): header and footer only. */
import { page } from '../layout.js';

page();
