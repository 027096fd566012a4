# ruff: noqa: E501
"""Glossaries the quiz code has never been tuned on, written in the usual glossary style.

Many definitions name their own term or its expansion, as real glossaries do;
some terms are acronyms with their expansion as an alias, some are expansions
with a parenthesised acronym. The fairness property tests run on these besides
the bundled decks, so a rule that only fits the bundled decks fails here.
"""

from __future__ import annotations

from trainer.core.quiz import QuizItem

Entry = tuple[str, str, tuple[str, ...], tuple[str, ...]]

NETWORKING: list[Entry] = [
    (
        "TCP",
        "Transmission Control Protocol, a connection-oriented transport protocol that delivers a reliable, ordered byte stream between two hosts.",
        ("Transmission Control Protocol",),
        ("transport",),
    ),
    (
        "UDP",
        "User Datagram Protocol: a connectionless transport protocol that sends datagrams without handshakes, ordering or retransmission.",
        ("User Datagram Protocol",),
        ("transport",),
    ),
    (
        "Domain Name System (DNS)",
        "The hierarchical naming system that translates human-readable host names into IP addresses; DNS resolvers cache answers for their TTL.",
        (),
        ("application",),
    ),
    (
        "Dynamic Host Configuration Protocol (DHCP)",
        "A protocol with which a server hands out IP addresses, gateways and resolver settings to clients joining a network.",
        (),
        ("application",),
    ),
    (
        "Subnet mask",
        "A 32-bit number that separates the network part of an IPv4 address from the host part; a subnet mask of 255.255.255.0 leaves eight host bits.",
        ("netmask",),
        ("addressing",),
    ),
    (
        "NAT",
        "Network Address Translation rewrites the source addresses of outgoing packets so many private hosts can share one public address.",
        ("Network Address Translation",),
        ("addressing",),
    ),
    (
        "Router",
        "A device that forwards packets between networks by looking up the destination address in its routing table.",
        (),
        ("devices",),
    ),
    (
        "Switch",
        "A layer-2 device that forwards frames within a local network to the port where the destination MAC address was learned.",
        ("network switch",),
        ("devices",),
    ),
    (
        "Firewall",
        "A firewall filters traffic between networks according to rules about addresses, ports and connection state.",
        (),
        ("security",),
    ),
    (
        "Virtual private network (VPN)",
        "An encrypted tunnel over a public network that makes a remote device appear to be on a private network.",
        (),
        ("security",),
    ),
    (
        "Latency",
        "The time a packet takes to travel from sender to receiver, usually measured in milliseconds; latency adds up across every hop.",
        (),
        ("performance",),
    ),
    (
        "Bandwidth",
        "The maximum rate at which data can be sent over a link, in bits per second.",
        (),
        ("performance",),
    ),
    (
        "Throughput",
        "The rate of data actually delivered over a path in a given time, which is often well below the link's capacity.",
        (),
        ("performance",),
    ),
    (
        "Packet loss",
        "Packets that never reach their destination because of congestion, errors or faulty hardware.",
        (),
        ("performance",),
    ),
    (
        "MTU",
        "Maximum Transmission Unit: the largest frame payload a link can carry without fragmentation, 1500 bytes on classic Ethernet.",
        ("Maximum Transmission Unit",),
        ("link",),
    ),
    (
        "Address Resolution Protocol (ARP)",
        "The protocol that finds the MAC address belonging to an IPv4 address on the local network by broadcasting a request.",
        (),
        ("link",),
    ),
    (
        "MAC address",
        "A 48-bit hardware identifier burned into a network interface and used to deliver frames on a local segment.",
        ("media access control address",),
        ("link",),
    ),
    (
        "Three-way handshake",
        "The SYN, SYN-ACK, ACK exchange that opens a TCP connection and agrees on initial sequence numbers.",
        (),
        ("transport",),
    ),
    (
        "Port",
        "A 16-bit number that identifies a service or conversation on a host, such as 443 for HTTPS.",
        ("port number",),
        ("transport",),
    ),
    (
        "Border Gateway Protocol (BGP)",
        "The routing protocol that autonomous systems use to exchange reachability information across the internet.",
        (),
        ("routing",),
    ),
    (
        "OSPF",
        "Open Shortest Path First is a link-state interior routing protocol that computes shortest paths with Dijkstra's algorithm.",
        ("Open Shortest Path First",),
        ("routing",),
    ),
    (
        "Routing table",
        "The list of destination prefixes and next hops a router consults for every packet it forwards.",
        (),
        ("routing",),
    ),
    (
        "Quality of service (QoS)",
        "Mechanisms that prioritise some traffic over other traffic so delay-sensitive flows such as voice keep low latency.",
        (),
        ("performance",),
    ),
    (
        "Load balancer",
        "A load balancer spreads incoming requests across several servers so that none is overwhelmed and failures are hidden.",
        (),
        ("devices",),
    ),
    (
        "TLS",
        "Transport Layer Security encrypts and authenticates application data in transit, for example HTTPS traffic.",
        ("Transport Layer Security",),
        ("security",),
    ),
    (
        "Proxy server",
        "An intermediary that makes requests on behalf of clients, often to cache content, filter traffic or hide client addresses.",
        ("proxy",),
        ("devices",),
    ),
    (
        "Time to live (TTL)",
        "A counter in each IP packet decremented by every router; the packet is dropped when it reaches zero, which stops routing loops.",
        (),
        ("routing",),
    ),
    (
        "Jitter",
        "Variation in packet delay over time, which degrades real-time audio and video.",
        (),
        ("performance",),
    ),
]

BIOLOGY: list[Entry] = [
    (
        "Mitochondrion",
        "An organelle that produces most of the cell's ATP through oxidative phosphorylation; each mitochondrion carries its own small genome.",
        ("mitochondria",),
        ("cell",),
    ),
    (
        "Ribosome",
        "The molecular machine that translates messenger RNA into a chain of amino acids.",
        (),
        ("cell",),
    ),
    (
        "Cell membrane",
        "A lipid bilayer with embedded proteins that encloses the cell and controls what enters and leaves it.",
        ("plasma membrane",),
        ("cell",),
    ),
    (
        "Nucleus",
        "The membrane-bound compartment of a eukaryotic cell that holds its chromosomes.",
        (),
        ("cell",),
    ),
    (
        "Endoplasmic reticulum (ER)",
        "A network of membranes where proteins and lipids are made; rough ER is studded with ribosomes.",
        (),
        ("cell",),
    ),
    (
        "Golgi apparatus",
        "Stacks of membranes that modify, sort and package proteins for secretion or delivery to other organelles.",
        ("Golgi",),
        ("cell",),
    ),
    (
        "DNA",
        "Deoxyribonucleic acid, the double-stranded molecule that stores genetic information as a sequence of bases.",
        ("deoxyribonucleic acid",),
        ("genetics",),
    ),
    (
        "Messenger RNA (mRNA)",
        "A single-stranded copy of a gene that carries the coding sequence from the nucleus to the ribosomes.",
        (),
        ("genetics",),
    ),
    (
        "Gene",
        "A stretch of DNA that encodes a functional product, usually a protein; a gene may have several alleles.",
        (),
        ("genetics",),
    ),
    (
        "Allele",
        "One of two or more versions of a gene found at the same place on a chromosome.",
        (),
        ("genetics",),
    ),
    (
        "Mutation",
        "A permanent change in the DNA sequence, from a single base to large rearrangements.",
        (),
        ("genetics",),
    ),
    (
        "Transcription",
        "The copying of a DNA sequence into RNA by RNA polymerase.",
        (),
        ("genetics",),
    ),
    (
        "Translation",
        "The process in which ribosomes read mRNA codons and join the matching amino acids into a polypeptide.",
        (),
        ("genetics",),
    ),
    (
        "Enzyme",
        "A protein that speeds up a specific chemical reaction without being used up; an enzyme binds its substrate at the active site.",
        (),
        ("biochemistry",),
    ),
    (
        "ATP",
        "Adenosine triphosphate, the molecule cells use to store and transfer energy for metabolism.",
        ("adenosine triphosphate",),
        ("biochemistry",),
    ),
    (
        "Photosynthesis",
        "The conversion of light energy, water and carbon dioxide into sugar and oxygen in chloroplasts.",
        (),
        ("metabolism",),
    ),
    (
        "Cellular respiration",
        "The breakdown of glucose with oxygen to release energy as ATP, carbon dioxide and water.",
        (),
        ("metabolism",),
    ),
    (
        "Glycolysis",
        "The first stage of glucose breakdown, splitting one glucose into two pyruvate molecules in the cytoplasm.",
        (),
        ("metabolism",),
    ),
    (
        "Homeostasis",
        "The maintenance of a stable internal environment, such as body temperature, despite outside changes.",
        (),
        ("physiology",),
    ),
    (
        "Natural selection",
        "Natural selection is the process by which heritable traits that improve survival and reproduction become more common.",
        (),
        ("evolution",),
    ),
    (
        "Species",
        "A group of organisms that can interbreed and produce fertile offspring.",
        (),
        ("evolution",),
    ),
    (
        "Phenotype",
        "The observable traits of an organism, shaped by its genotype and environment.",
        (),
        ("genetics",),
    ),
    (
        "Genotype",
        "The genetic makeup of an organism, the set of alleles it carries.",
        (),
        ("genetics",),
    ),
    (
        "Osmosis",
        "The movement of water across a semi-permeable membrane towards the side with more dissolved solute.",
        (),
        ("physiology",),
    ),
    (
        "Polymerase chain reaction (PCR)",
        "A laboratory technique that copies a chosen DNA segment millions of times through repeated heating and cooling cycles.",
        (),
        ("methods",),
    ),
    (
        "Antibody",
        "A Y-shaped protein made by B cells that binds a specific antigen and marks it for destruction.",
        ("immunoglobulin",),
        ("immunity",),
    ),
    (
        "Antigen",
        "Any molecule that the immune system recognises, typically a protein on the surface of a pathogen.",
        (),
        ("immunity",),
    ),
    (
        "Vaccine",
        "A preparation that trains the immune system to recognise a pathogen without causing the disease.",
        (),
        ("immunity",),
    ),
    (
        "Ecosystem",
        "A community of organisms together with the physical environment they live in and interact with.",
        (),
        ("ecology",),
    ),
    (
        "Food chain",
        "A sequence showing who eats whom, from producers through consumers to top predators.",
        (),
        ("ecology",),
    ),
]

DATABASES: list[Entry] = [
    (
        "Primary key",
        "A column or set of columns whose values uniquely identify each row of a table; a primary key cannot be null.",
        ("PK",),
        ("schema",),
    ),
    (
        "Foreign key",
        "A column that refers to the primary key of another table, so the database can enforce that the referenced row exists.",
        ("FK",),
        ("schema",),
    ),
    (
        "Index",
        "A data structure, usually a B-tree, that lets the database find rows by a column's value without scanning the whole table.",
        (),
        ("performance",),
    ),
    (
        "Write-ahead log (WAL)",
        "A write-ahead log records every change before it is applied to the data files, so a crash can be recovered by replaying the WAL.",
        (),
        ("storage",),
    ),
    (
        "ACID",
        "Atomicity, Consistency, Isolation, Durability: the guarantees a transaction system gives.",
        (),
        ("transactions",),
    ),
    (
        "Transaction",
        "A group of operations that succeed or fail together as a single unit.",
        (),
        ("transactions",),
    ),
    (
        "Deadlock",
        "A situation where two transactions each wait for a lock the other holds, so neither can proceed.",
        (),
        ("transactions",),
    ),
    (
        "MVCC",
        "Multi-version concurrency control keeps several versions of each row so readers never block writers.",
        ("multi-version concurrency control",),
        ("transactions",),
    ),
    (
        "Normalization",
        "Organising tables to remove redundancy, splitting data so that each fact is stored once.",
        (),
        ("schema",),
    ),
    (
        "Denormalization",
        "Deliberately storing redundant copies of data to speed up reads at the cost of harder updates.",
        (),
        ("schema",),
    ),
    (
        "Join",
        "An operation that combines rows from two tables where a condition on their columns holds.",
        (),
        ("queries",),
    ),
    (
        "Query planner",
        "The component that chooses how a query is executed, comparing the estimated cost of possible plans.",
        ("query optimizer",),
        ("queries",),
    ),
    (
        "Stored procedure",
        "A named routine saved in the database and run on the server, often to bundle several statements.",
        (),
        ("queries",),
    ),
    (
        "View",
        "A saved query that can be selected from like a table; a view stores no data of its own unless materialized.",
        (),
        ("queries",),
    ),
    (
        "Sharding",
        "Splitting one logical dataset across several servers by a shard key so each holds part of the rows.",
        ("horizontal partitioning",),
        ("scaling",),
    ),
    (
        "Replication",
        "Keeping copies of the same data on several servers for availability and read scaling.",
        (),
        ("scaling",),
    ),
    (
        "Eventual consistency",
        "A guarantee that, without new writes, all replicas eventually return the same value.",
        (),
        ("scaling",),
    ),
    (
        "CAP theorem",
        "The result that a distributed store cannot be consistent, available and partition tolerant all at once during a network partition.",
        (),
        ("scaling",),
    ),
    (
        "SQL",
        "Structured Query Language, the declarative language used to define and query relational databases.",
        ("Structured Query Language",),
        ("queries",),
    ),
    (
        "NoSQL",
        "A family of databases that do not use the relational model, such as document, key-value and graph stores.",
        (),
        ("models",),
    ),
    (
        "Document store",
        "A database that keeps records as self-describing documents, typically JSON, rather than rows.",
        ("document database",),
        ("models",),
    ),
    (
        "Key-value store",
        "A key-value store maps unique keys to opaque values and offers little more than get and put.",
        (),
        ("models",),
    ),
    (
        "OLAP",
        "Online analytical processing: workloads of large read-only queries that aggregate many rows for reports.",
        ("online analytical processing",),
        ("workloads",),
    ),
    (
        "OLTP",
        "Online transaction processing: workloads of many short transactions that read and write a few rows each.",
        ("online transaction processing",),
        ("workloads",),
    ),
    (
        "Cursor",
        "A pointer to a position in a query's result set that lets a program fetch rows one at a time.",
        (),
        ("queries",),
    ),
    (
        "Schema migration",
        "A versioned change to a database's structure, applied in order so every copy ends up with the same schema.",
        (),
        ("schema",),
    ),
    (
        "B-tree",
        "A balanced tree with many keys per node, kept shallow so lookups touch few disk pages.",
        ("B tree",),
        ("storage",),
    ),
    (
        "Buffer pool",
        "The memory area where a database caches data pages read from disk.",
        ("buffer cache",),
        ("storage",),
    ),
    (
        "Isolation level",
        "A setting that decides which anomalies concurrent transactions may see, from read uncommitted to serializable.",
        (),
        ("transactions",),
    ),
    (
        "Checkpoint",
        "A point at which all changed pages are flushed to disk so recovery can start from there instead of the log's beginning.",
        (),
        ("storage",),
    ),
]

GLOSSARIES: dict[str, list[Entry]] = {
    "networking": NETWORKING,
    "biology": BIOLOGY,
    "databases": DATABASES,
}


def quiz_items(name: str) -> list[QuizItem]:
    """One glossary as quiz items of a deck named after it."""
    return [
        QuizItem(
            card_id=f"{name}/{term.lower()}",
            deck=name,
            term=term,
            definition=definition,
            aliases=aliases,
            tags=tags,
        )
        for term, definition, aliases, tags in GLOSSARIES[name]
    ]
