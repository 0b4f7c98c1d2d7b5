/// The release this binary was built from.
public enum TapedeckVersion {
    public static let current = "0.1.0"
}
