/**
 * The HTTP layer's tunnels ({@link dev.lectern.http.Tunnel}): routes that hand one request's raw HTTP messages to a
 * handler of the module that owns the protocol, such as the avatar proxy's.
 */
package dev.lectern.http.netty;
