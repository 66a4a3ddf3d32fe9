// zod compiles fast object parsers with `new Function` when it may; under the renderer's
// CSP (script-src 'self', no 'unsafe-eval') even zod's probe for that is reported as a
// violation. Parsing without the compiled path is plenty fast for our frames.
import { z } from 'zod';

z.config({ jitless: true });
