package dev.databaseunit.operator.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP listener on loopback where a resource author would point the operator to harvest credentials: it plays a
 * PostgreSQL server that answers an SSLRequest with {@code N} or {@code S} (then reads whatever comes: a TLS
 * ClientHello it cannot answer), and asks a plaintext client for its password in cleartext. It records every byte it
 * receives, so a test can show that no password arrived.
 */
public final class ImpostorListener implements AutoCloseable {
  /** What to answer to an SSLRequest. */
  public enum Tls { REFUSE, ACCEPT }

  private final ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final AtomicInteger connections = new AtomicInteger();
  private final Tls tls;

  public ImpostorListener(Tls tls) throws IOException {
    this.tls = tls;
    Thread.startVirtualThread(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  public int connections() {
    return connections.get();
  }

  public synchronized byte[] received() {
    return received.toByteArray();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        connections.incrementAndGet();
        Thread.startVirtualThread(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(10_000);
      var in = new DataInputStream(new Recording(s.getInputStream()));
      var out = s.getOutputStream();
      int length = in.readInt();
      int code = in.readInt();
      in.readNBytes(length - 8);
      if (code == 80877103) { // SSLRequest
        out.write(tls == Tls.ACCEPT ? 'S' : 'N');
        out.flush();
        if (tls == Tls.ACCEPT) {
          in.readNBytes(4096); // a ClientHello nobody answers
          return;
        }
        length = in.readInt();
        in.readNBytes(length - 4);
      }
      // AuthenticationCleartextPassword: a real client would now send the password as it is.
      out.write(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 3});
      out.flush();
      in.readNBytes(4096);
    } catch (IOException e) {
      // the client went away
    }
  }

  /** Copies everything read into {@link #received}. */
  private final class Recording extends InputStream {
    private final InputStream in;

    Recording(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        synchronized (ImpostorListener.this) {
          received.write(b);
        }
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        synchronized (ImpostorListener.this) {
          received.write(b, off, n);
        }
      }
      return n;
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
