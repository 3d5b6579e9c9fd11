/**
 * @tunasync/certs: skeleton. Its issue fills it in.
 */

/** The package's name, as published. */
export const PACKAGE_NAME = '@tunasync/certs';
