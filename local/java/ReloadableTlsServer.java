// A TLS server in the shape of a Java file-transfer server: it loads its key entry from a keystore
// (JKS or PKCS12) through java.security.KeyStore and, like such servers, reloads the keystore file
// when told to — here by an HTTP call on a separate control port:
//   POST /reload  → 200 "reloaded <serial>" (now serving the file's key entry), or 500 with the
//                   reason (bad password, broken file), in which case the old entry stays served.
//   GET /serial   → the serial of the leaf being served.
// Usage: java ReloadableTlsServer <JKS|PKCS12> <keystore file> <alias> [--ignore-reloads] [--http]
// Password in $KEYSTORE_PASSWORD. Binds 127.0.0.1 only, on free ports (or $TLS_PORT/$CONTROL_PORT),
// prints {"tlsPort":N,"controlPort":M,"serial":"..."} and runs until its standard input closes.
// --ignore-reloads answers 200 and keeps the old certificate: a server that "reloads" but does not.
// After the handshake it writes "ok\n" and closes; with --http it first reads an HTTP/1.0 request
// head and answers "HTTP/1.0 200 OK" with that body (for clients that speak first: a load balancer's
// users).
import com.sun.net.httpserver.HttpServer;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

public class ReloadableTlsServer {
  /** The key entry being served; swapped whole, so a handshake never mixes two entries. */
  record Entry(String alias, PrivateKey key, X509Certificate[] chain) {}

  static volatile Entry current;

  static Entry load(String type, String file, String alias, char[] password) throws Exception {
    KeyStore ks = KeyStore.getInstance(type);
    try (InputStream in = new FileInputStream(file)) {
      ks.load(in, password);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    X509KeyManager km = (X509KeyManager) kmf.getKeyManagers()[0];
    PrivateKey key = km.getPrivateKey(alias);
    X509Certificate[] chain = km.getCertificateChain(alias);
    if (key == null || chain == null) throw new IllegalStateException("no key entry named " + alias);
    return new Entry(alias, key, chain);
  }

  static String serial(Entry e) {
    return e.chain()[0].getSerialNumber().toString(16);
  }

  public static void main(String[] args) throws Exception {
    String type = args[0], file = args[1], alias = args[2];
    java.util.List<String> flags = java.util.Arrays.asList(args).subList(3, args.length);
    boolean ignoreReloads = flags.contains("--ignore-reloads");
    boolean http = flags.contains("--http");
    char[] password = System.getenv("KEYSTORE_PASSWORD").toCharArray();
    current = load(type, file, alias, password);

    X509ExtendedKeyManager keyManager = new X509ExtendedKeyManager() {
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current.alias();
      }
      public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current.alias();
      }
      public X509Certificate[] getCertificateChain(String alias) {
        return current.chain();
      }
      public PrivateKey getPrivateKey(String alias) {
        return current.key();
      }
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {current.alias()};
      }
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
      }
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new javax.net.ssl.KeyManager[] {keyManager}, null, null);
    // No session resumption: every handshake must show the entry served now.
    context.getServerSessionContext().setSessionCacheSize(1);
    context.getServerSessionContext().setSessionTimeout(1);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(port("TLS_PORT"), 50, loopback);

    HttpServer control = HttpServer.create(new InetSocketAddress(loopback, port("CONTROL_PORT")), 0);
    control.createContext("/reload", exchange -> {
      int status = 200;
      String body;
      if (ignoreReloads) {
        body = "ignored, still " + serial(current);
      } else {
        try {
          current = load(type, file, alias, password);
          body = "reloaded " + serial(current);
        } catch (Exception e) {
          status = 500;
          body = "reload failed: " + e;
        }
      }
      byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    control.createContext("/serial", exchange -> {
      byte[] bytes = (serial(current) + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    control.start();
    System.out.println("{\"tlsPort\":" + server.getLocalPort() + ",\"controlPort\":"
        + control.getAddress().getPort() + ",\"serial\":\"" + serial(current) + "\"}");
    System.out.flush();

    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (Exception ignored) {
      }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    while (true) {
      Socket accepted = server.accept();
      new Thread(() -> {
        try (SSLSocket socket = (SSLSocket) accepted) {
          socket.setSoTimeout(10_000);
          socket.startHandshake();
          OutputStream out = socket.getOutputStream();
          if (http) {
            readRequestHead(socket.getInputStream());
            out.write(OK_RESPONSE);
          } else {
            out.write("ok\n".getBytes(StandardCharsets.UTF_8));
          }
          out.flush();
        } catch (Exception e) {
          // A probe that disconnects right after the handshake lands here; not worth a line.
        }
      }).start();
    }
  }

  static final byte[] OK_RESPONSE = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
      + "Content-Length: 3\r\n\r\nok\n").getBytes(StandardCharsets.US_ASCII);

  /** Reads up to the blank line that ends a request head (at most 8 KiB), so closing loses nothing. */
  static void readRequestHead(InputStream in) throws java.io.IOException {
    byte[] end = {'\r', '\n', '\r', '\n'};
    int matched = 0;
    for (int read = 0; matched < end.length && read < 8192; read++) {
      int b = in.read();
      if (b == -1) return;
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  static int port(String variable) {
    String value = System.getenv(variable);
    return value == null || value.isEmpty() ? 0 : Integer.parseInt(value);
  }
}
