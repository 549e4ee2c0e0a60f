// What scripts/split.mjs and scripts/postbuild.mjs both need to know of a
// built dist/.
import { createHash } from 'node:crypto';

/** A file name's content hash: 16 hex digits of the content's SHA-256. */
export const hashName = (content) => createHash('sha256').update(content).digest('hex').slice(0, 16);

/** The Subresource Integrity value (sha384) of some bytes or text. */
export const sri = (content) => `sha384-${createHash('sha384').update(content).digest('base64')}`;

/**
 * index.html's block of asset names (Trunk.toml `pattern_script`), as
 * `[tag, json]`, or null. Trunk minifies index.html in release builds,
 * which drops attribute quotes and may reorder attributes.
 */
export const assetBlock = (html) => html.match(/<script\b[^>]*\bid="?frontline-assets"?[^>]*>(.*?)<\/script>/);
