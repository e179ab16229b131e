import Testing
@testable import CityNode

@Suite struct BoundedFIFOMapTests {
    @Test func forgetsTheOldestKeyFirstAndReplacesInPlace() {
        var m = BoundedFIFOMap<Int, String>(capacity: 3)
        for i in 1...3 { m.insert("v\(i)", for: i) }
        m.insert("again", for: 1)   // replaced, keeps its place as the oldest
        #expect(m[1] == "again" && m.count == 3)
        m.insert("v4", for: 4)
        #expect(m[1] == nil, "the oldest inserted key went first")
        #expect(m[2] == "v2" && m[4] == "v4" && m.count == 3)
        for i in 5...1000 { m.insert("v\(i)", for: i) }
        #expect(m.count == 3 && m[998] != nil && m[1000] != nil && m[997] == nil, "bounded over many inserts")
    }
}
