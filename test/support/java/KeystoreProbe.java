// Judges a keystore the way a Java server does: KeyStore.load, getKey (which decrypts the key,
// unlike `keytool -list`), getCertificateChain, and, with "serve", TLS from an SSLServerSocket.
// Usage: java KeystoreProbe load|serve JKS|PKCS12 <file> <alias>; password in $KEYSTORE_PASSWORD, the
// key entry's in $KEY_PASSWORD (default: the keystore password), as Tomcat's certificateKeyPassword.
// "serve" prints {"port":N} and answers handshakes on 127.0.0.1 until its standard input closes.
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.HexFormat;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

public class KeystoreProbe {
  public static void main(String[] args) throws Exception {
    String mode = args[0], type = args[1], file = args[2], alias = args[3];
    char[] password = System.getenv("KEYSTORE_PASSWORD").toCharArray();
    String keyPasswordEnv = System.getenv("KEY_PASSWORD");
    char[] keyPassword = keyPasswordEnv == null ? password : keyPasswordEnv.toCharArray();
    KeyStore ks = KeyStore.getInstance(type);
    try (InputStream in = new FileInputStream(file)) {
      ks.load(in, password);
    }
    Key key = ks.getKey(alias, keyPassword);
    Certificate[] chain = ks.getCertificateChain(alias);
    if (key == null || chain == null) throw new IllegalStateException("no key entry named " + alias);
    String leaf = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded()));
    System.out.println("{\"aliases\":\"" + String.join(",", Collections.list(ks.aliases())) + "\",\"keyAlgorithm\":\""
        + key.getAlgorithm() + "\",\"chainLength\":" + chain.length + ",\"leafSha256\":\"" + leaf + "\"}");
    if (!mode.equals("serve")) return;

    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, keyPassword);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
    System.out.println("{\"port\":" + server.getLocalPort() + "}");
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
      try (SSLSocket socket = (SSLSocket) server.accept()) {
        socket.startHandshake();
        OutputStream out = socket.getOutputStream();
        out.write("ok\n".getBytes());
        out.flush();
      } catch (Exception e) {
        System.err.println("handshake failed: " + e);
      }
    }
  }
}
