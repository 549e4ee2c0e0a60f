// Starts the peer widget (Typebot's bubble: launcher + chat window) the way its
// README says, from a same-origin module (no inline script under the CSP).
// The bot itself would come from apiHost; offline, only the widget loads.
import Typebot from './peer/web.js';

Typebot.initBubble({ typebot: 'bench', apiHost: new URL('/bench/no-typebot-api', document.baseURI).origin });
