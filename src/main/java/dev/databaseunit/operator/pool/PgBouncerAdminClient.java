package dev.databaseunit.operator.pool;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.exception.ScramException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal PostgreSQL wire-protocol client for PgBouncer's admin console. pgjdbc (42.7.5+) cannot log in there:
 * after the startup it runs {@code SET extra_float_digits}, which the console answers with "SET failed"
 * (pgbouncer issue 1509), and the console speaks only the simple query protocol anyway. This client sends a
 * startup message with just user and database, authenticates with SCRAM-SHA-256 (com.ongres.scram, the library
 * pgjdbc uses; MD5 or cleartext only over TLS, see {@link Login}), and then only 'Q' messages, reading the
 * text-format results. One connection, opened lazily and reopened after a
 * failure; calls are serialised. With an {@link SSLSocketFactory} it asks for TLS first (SSLRequest), insists on
 * it, and verifies the certificate chain and the host name, TLS 1.2 or newer.
 */
public final class PgBouncerAdminClient implements PgBouncerAdmin {
  private static final int PROTOCOL_3 = 196608;
  private static final int SSL_REQUEST = 80877103;
  private static final Pattern SETTING_NAME = Pattern.compile("[a-z_]{1,64}");
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_]{1,63}");

  private final String host;
  /** The name the server's certificate must carry; the host unless the console is reached at a pod's address. */
  private final String serverName;
  private final int port;
  private final String user;
  private final String password;
  private final Duration timeout;
  private final SSLSocketFactory tls;
  private Socket socket;
  private DataInputStream in;
  private DataOutputStream out;
  private long lastConnectNanos = -1;

  public PgBouncerAdminClient(String host, int port, String user, String password, Duration timeout) {
    this(host, port, user, password, timeout, null);
  }

  /** @param tls the trust for a TLS connection, or null for plain TCP */
  public PgBouncerAdminClient(String host, int port, String user, String password, Duration timeout, SSLSocketFactory tls) {
    this(host, host, port, user, password, timeout, tls);
  }

  /**
   * @param host where to connect (a pod's address)
   * @param serverName the name the certificate is verified against (the Service's DNS name the certificate names)
   */
  public PgBouncerAdminClient(String host, String serverName, int port, String user, String password, Duration timeout,
      SSLSocketFactory tls) {
    this.host = host;
    this.serverName = serverName;
    this.port = port;
    this.user = user;
    this.password = password;
    this.timeout = timeout;
    this.tls = tls;
  }

  /** How long the last login took (TCP connect + authentication), or -1 before the first one. */
  public synchronized long lastConnectNanos() {
    return lastConnectNanos;
  }

  @Override
  public List<PoolRow> showPools() {
    return query("SHOW POOLS").stream().map(r -> new PoolRow(r.get("database"), r.get("user"),
        integer(r, "cl_active"), integer(r, "cl_waiting"), integer(r, "sv_active"), integer(r, "sv_idle"),
        integer(r, "sv_used"), integer(r, "maxwait") + integer(r, "maxwait_us") / 1_000_000.0, r.get("pool_mode")))
        .toList();
  }

  @Override
  public List<StatsRow> showStats() {
    return query("SHOW STATS").stream().map(r -> new StatsRow(r.get("database"), number(r, "total_xact_count"),
        number(r, "total_query_count"), number(r, "total_xact_time"), number(r, "total_wait_time"))).toList();
  }

  @Override
  public List<DatabaseRow> showDatabases() {
    return query("SHOW DATABASES").stream().map(r -> new DatabaseRow(r.get("name"), r.get("host"),
        integer(r, "port"), r.get("database"), integer(r, "pool_size"), r.get("pool_mode"),
        integer(r, "current_connections"), integer(r, "paused") != 0, integer(r, "disabled") != 0)).toList();
  }

  @Override
  public Map<String, String> showConfig() {
    Map<String, String> config = new LinkedHashMap<>();
    query("SHOW CONFIG").forEach(r -> config.put(r.get("key"), r.get("value")));
    return config;
  }

  @Override
  public void set(String key, String value) {
    if (!SETTING_NAME.matcher(key).matches()) {
      throw new IllegalArgumentException("Not a PgBouncer setting name: " + key);
    }
    query("SET " + key + " = '" + value.replace("'", "''") + "'");
  }

  @Override
  public synchronized Pause pause(String database) {
    String command = "PAUSE " + databaseName(database);
    onConnection(() -> {
      connectIfNeeded();
      sendQuery(command);
      return null;
    });
    return () -> {
      synchronized (this) {
        onConnection(() -> readResults(command));
      }
    };
  }

  @Override
  public void resume(String database) {
    query("RESUME " + databaseName(database));
  }

  /** The console's command parser takes a plain word or a double-quoted name. */
  static String databaseName(String database) {
    if (PLAIN_NAME.matcher(database).matches()) {
      return database;
    }
    if (database.isEmpty() || database.indexOf('"') >= 0 || database.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("Database name cannot be passed to the PgBouncer console: " + database);
    }
    return '"' + database + '"';
  }

  @Override
  public synchronized List<Map<String, String>> query(String command) {
    if (command.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("Command contains a NUL byte");
    }
    return onConnection(() -> {
      connectIfNeeded();
      sendQuery(command);
      return readResults(command);
    });
  }

  @FunctionalInterface
  private interface OnConnection<T> {
    T run() throws IOException;
  }

  /** Runs a step of the protocol; an I/O failure drops the connection and is reported as an unreachable console. */
  private <T> T onConnection(OnConnection<T> step) {
    try {
      return step.run();
    } catch (IOException e) {
      disconnect();
      throw new PgBouncerAdminException(PgBouncerAdminException.Kind.UNREACHABLE,
          "PgBouncer admin console at " + host + ":" + port + " is unreachable: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    if (out != null) {
      try {
        out.writeByte('X');
        out.writeInt(4);
        out.flush();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    disconnect();
  }

  private void disconnect() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
    socket = null;
    in = null;
    out = null;
  }

  // ----- connection and authentication -----

  private void connectIfNeeded() throws IOException {
    if (socket != null) {
      return;
    }
    long start = System.nanoTime();
    var s = new Socket();
    try {
      s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      s.setSoTimeout((int) timeout.toMillis());
      s.setTcpNoDelay(true);
      socket = tls != null ? startTls(s) : s;
      in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
      startup();
      lastConnectNanos = System.nanoTime() - start;
    } catch (IOException | RuntimeException e) {
      disconnect();
      s.close();
      throw e;
    }
  }

  private SSLSocket startTls(Socket plain) throws IOException {
    var request = new DataOutputStream(plain.getOutputStream());
    request.writeInt(8);
    request.writeInt(SSL_REQUEST);
    request.flush();
    int answer = plain.getInputStream().read();
    if (answer != 'S') {
      throw new IOException("PgBouncer at " + host + ":" + port + " does not offer TLS (client_tls_sslmode is disable)");
    }
    var ssl = (SSLSocket) tls.createSocket(plain, serverName, port, true);
    SSLParameters parameters = ssl.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the server
    parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    ssl.setSSLParameters(parameters);
    ssl.startHandshake();
    return ssl;
  }

  private void startup() throws IOException {
    var body = new ByteArrayOutputStream();
    var data = new DataOutputStream(body);
    data.writeInt(PROTOCOL_3);
    cstring(data, "user");
    cstring(data, user);
    cstring(data, "database");
    cstring(data, "pgbouncer");
    data.writeByte(0);
    out.writeInt(body.size() + 4);
    body.writeTo(out);
    out.flush();

    var login = new Login(tls != null);
    while (true) {
      Message m = readMessage();
      switch (m.type) {
        case 'R' -> {
          var payload = new DataInputStream(new java.io.ByteArrayInputStream(m.body));
          int code = payload.readInt();
          switch (code) {
            case 0 -> login.ok();
            case 3 -> {
              login.passwordInClear("cleartext");
              sendPassword(password);
            }
            case 5 -> {
              login.passwordInClear("MD5");
              byte[] salt = payload.readNBytes(4);
              sendPassword(md5Password(user, password, salt));
            }
            case 10 -> sendSaslInitial(login.scramStart(saslMechanisms(payload.readAllBytes()), password));
            case 11 -> sendSasl(login.scramClientFinal(new String(payload.readAllBytes(), StandardCharsets.UTF_8)));
            case 12 -> login.scramServerFinal(new String(payload.readAllBytes(), StandardCharsets.UTF_8));
            default -> throw authFailure("unsupported authentication request " + code);
          }
        }
        case 'E' -> throw authFailure(errorMessage(m.body));
        case 'Z' -> {
          login.requireOk();
          return;
        }
        default -> { } // ParameterStatus, BackendKeyData, NoticeResponse
      }
    }
  }

  /** The mechanism names of an AuthenticationSASL message: null-terminated strings, then an empty one. */
  private static List<String> saslMechanisms(byte[] payload) {
    return java.util.Arrays.stream(new String(payload, StandardCharsets.UTF_8).split("\0")).filter(m -> !m.isEmpty()).toList();
  }

  /**
   * What the server may ask of the client during the login, and in which order. Over plain TCP the password never
   * leaves in a form a listener could replay or crack cheaply (cleartext, MD5); SCRAM's iteration count is bounded on
   * both sides (a forged low count makes the proof cheap to brute-force, a huge one is a denial of service); and the
   * login counts only once the server has proven it knows the password (SCRAM's server-final), so a server that
   * answers AuthenticationOk without that proof is an impostor.
   */
  static final class Login {
    /** RFC 7677's minimum, and the count PostgreSQL and PgBouncer use by default. */
    static final int MIN_ITERATIONS = 4096;
    /** Well above any deployed setting (PostgreSQL allows raising scram_iterations), a fraction of a second of work. */
    static final int MAX_ITERATIONS = 100_000;

    private final boolean encrypted;
    private ScramClient scram;
    private boolean scramVerified;
    private boolean ok;

    Login(boolean encrypted) {
      this.encrypted = encrypted;
    }

    void passwordInClear(String method) {
      if (!encrypted) {
        throw authFailure("it asked for the password as " + method + " over a connection without TLS; refused, the password "
            + "was not sent (use auth_type = scram-sha-256, or TLS to the console)");
      }
    }

    String scramStart(List<String> mechanisms, String password) {
      if (!mechanisms.contains("SCRAM-SHA-256")) {
        throw authFailure("PgBouncer offers no supported SASL mechanism (" + String.join(", ", mechanisms) + ")");
      }
      // No channel binding (what PgBouncer supports); the server takes the user from the startup message and ignores
      // this one, so "*" as pgjdbc sends.
      scram = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
          .password(password.toCharArray()).build();
      return scram.clientFirstMessage().toString();
    }

    String scramClientFinal(String serverFirst) {
      ScramClient session = requireScram();
      try {
        int iterations = session.serverFirstMessage(serverFirst).getIterationCount();
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
          throw authFailure("its SCRAM iteration count " + iterations + " is outside " + MIN_ITERATIONS + ".." + MAX_ITERATIONS
              + "; refused before computing a proof");
        }
      } catch (ScramException e) {
        throw authFailure("malformed SCRAM server-first message: " + e.getMessage());
      }
      return session.clientFinalMessage().toString();
    }

    void scramServerFinal(String serverFinal) {
      try {
        requireScram().serverFinalMessage(serverFinal);
        scramVerified = true;
      } catch (ScramException e) {
        throw authFailure("the server's SCRAM signature does not match: " + e.getMessage());
      }
    }

    void ok() {
      if (scram != null && !scramVerified) {
        throw authFailure("it sent AuthenticationOk without SCRAM's server-final proof");
      }
      ok = true;
    }

    void requireOk() {
      if (!ok) {
        throw authFailure("it reported ready before authentication completed");
      }
    }

    private ScramClient requireScram() {
      if (scram == null) {
        throw authFailure("SASL message before SASL started");
      }
      return scram;
    }
  }

  private static PgBouncerAdminException authFailure(String message) {
    return new PgBouncerAdminException(PgBouncerAdminException.Kind.AUTHENTICATION_FAILED,
        "PgBouncer refused the admin login: " + message);
  }

  private void sendPassword(String value) throws IOException {
    sendString('p', value);
  }

  /** A frontend message whose body is one null-terminated string (PasswordMessage, Query). */
  private void sendString(char type, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.writeByte(type);
    out.writeInt(4 + bytes.length + 1);
    out.write(bytes);
    out.writeByte(0);
    out.flush();
  }

  private void sendSaslInitial(String clientFirst) throws IOException {
    byte[] mechanism = "SCRAM-SHA-256".getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = clientFirst.getBytes(StandardCharsets.UTF_8);
    out.writeByte('p');
    out.writeInt(4 + mechanism.length + 1 + 4 + bytes.length);
    out.write(mechanism);
    out.writeByte(0);
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  private void sendSasl(String message) throws IOException {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    out.writeByte('p');
    out.writeInt(4 + bytes.length);
    out.write(bytes);
    out.flush();
  }

  static String md5Password(String user, String password, byte[] salt) {
    String inner = md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
    byte[] innerBytes = inner.getBytes(StandardCharsets.US_ASCII);
    byte[] salted = new byte[innerBytes.length + salt.length];
    System.arraycopy(innerBytes, 0, salted, 0, innerBytes.length);
    System.arraycopy(salt, 0, salted, innerBytes.length, salt.length);
    return "md5" + md5Hex(salted);
  }

  private static String md5Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  // ----- simple query protocol -----

  private void sendQuery(String command) throws IOException {
    sendString('Q', command);
  }

  private List<Map<String, String>> readResults(String command) throws IOException {
    List<String> columns = List.of();
    List<Map<String, String>> rows = new ArrayList<>();
    String error = null;
    while (true) {
      Message m = readMessage();
      switch (m.type) {
        case 'T' -> columns = rowDescription(m.body);
        case 'D' -> rows.add(dataRow(m.body, columns));
        case 'E' -> error = errorMessage(m.body);
        case 'Z' -> {
          if (error != null) {
            throw new PgBouncerAdminException(PgBouncerAdminException.Kind.COMMAND_FAILED,
                "PgBouncer rejected '" + command + "': " + error);
          }
          return rows;
        }
        default -> { } // CommandComplete, NoticeResponse, EmptyQueryResponse, ParameterStatus
      }
    }
  }

  private static List<String> rowDescription(byte[] body) throws IOException {
    var data = new DataInputStream(new java.io.ByteArrayInputStream(body));
    int count = data.readUnsignedShort();
    List<String> names = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      names.add(readCString(data));
      data.skipNBytes(18); // table oid, attnum, type oid, typlen, typmod, format
    }
    return names;
  }

  private static Map<String, String> dataRow(byte[] body, List<String> columns) throws IOException {
    var data = new DataInputStream(new java.io.ByteArrayInputStream(body));
    int count = data.readUnsignedShort();
    Map<String, String> row = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      int length = data.readInt();
      String value = length < 0 ? null : new String(data.readNBytes(length), StandardCharsets.UTF_8);
      row.put(i < columns.size() ? columns.get(i) : "column" + i, value);
    }
    return row;
  }

  private static String errorMessage(byte[] body) throws IOException {
    var data = new DataInputStream(new java.io.ByteArrayInputStream(body));
    String message = "unknown error";
    while (data.available() > 0) {
      int field = data.readUnsignedByte();
      if (field == 0) {
        break;
      }
      String value = readCString(data);
      if (field == 'M') {
        message = value;
      }
    }
    return message;
  }

  private record Message(char type, byte[] body) {}

  private Message readMessage() throws IOException {
    char type = (char) in.readUnsignedByte();
    int length = in.readInt();
    if (length < 4 || length > 64 * 1024 * 1024) {
      throw new IOException("invalid message length " + length);
    }
    byte[] body = new byte[length - 4];
    in.readFully(body);
    return new Message(type, body);
  }

  private static void cstring(DataOutputStream data, String value) throws IOException {
    data.write(value.getBytes(StandardCharsets.UTF_8));
    data.writeByte(0);
  }

  private static String readCString(DataInputStream data) throws IOException {
    var bytes = new ByteArrayOutputStream();
    int b;
    while ((b = data.readUnsignedByte()) != 0) {
      bytes.write(b);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static int integer(Map<String, String> row, String column) {
    return (int) number(row, column);
  }

  private static long number(Map<String, String> row, String column) {
    String value = row.get(column);
    return value == null || value.isEmpty() ? 0 : Long.parseLong(value.trim());
  }

  @Override
  public String toString() {
    return "PgBouncerAdminClient[" + user + "@" + host + ":" + port + "]";
  }
}
