package dev.databaseunit.operator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on a free local port in front of a real server, for network faults: {@link #cut()} drops every
 * connection and stops accepting (the server "becomes unreachable" mid-transfer) while the real server, shared
 * by other tests, keeps running. An optional byte rate makes long transfers observable.
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private volatile long bytesPerSecond;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicLong relayedUpstream = new AtomicLong();
  private volatile boolean cut;
  private volatile boolean frozen;

  /** @param bytesPerSecond upstream rate limit, or 0 for none */
  public TcpRelay(String targetHost, int targetPort, long bytesPerSecond) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.bytesPerSecond = bytesPerSecond;
    Thread.startVirtualThread(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Changes the upstream rate limit (0 for none) for data relayed from now on. */
  public void setBytesPerSecond(long rate) {
    bytesPerSecond = rate;
  }

  /** Bytes relayed from clients to the server so far. */
  public long relayedUpstream() {
    return relayedUpstream.get();
  }

  private void accept() {
    while (!cut) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(upstream);
        Thread.startVirtualThread(() -> pump(client, upstream, true));
        Thread.startVirtualThread(() -> pump(upstream, client, false));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean upstream) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buffer)) >= 0 && !cut; ) {
        while (frozen && !cut) {
          Thread.sleep(20);
        }
        out.write(buffer, 0, n);
        if (upstream) {
          relayedUpstream.addAndGet(n);
          long rate = bytesPerSecond;
          if (rate > 0) {
            Thread.sleep(Math.max(1, n * 1000L / rate));
          }
        }
      }
    } catch (IOException | InterruptedException e) {
      // The other side or cut() closed the connection.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /**
   * The server hangs: connections stay open, new ones are accepted, but nothing is forwarded any more in either direction,
   * as with a server stuck on a lock or a network that drops packets silently.
   */
  public void freeze() {
    frozen = true;
  }

  /** The server becomes unreachable: open connections are reset and new ones refused. */
  public void cut() {
    cut = true;
    closeQuietly(server);
    sockets.forEach(TcpRelay::closeQuietly);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // already closed
    }
  }

  @Override
  public void close() {
    cut();
  }
}
