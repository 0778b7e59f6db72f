"""Fixed pools for the demo data: real UK places, trades with their SIC codes, safe phone ranges."""

TAGS = ("VAT", "Payroll", "Bookkeeping", "Self assessment", "Management accounts",
        "Making Tax Digital", "CIS", "Year-end")
# (town, county, postcode area): real places, so lists and filters look familiar
TOWNS = [
    ("London", "Greater London", "EC"), ("London", "Greater London", "N"),
    ("London", "Greater London", "SE"), ("London", "Greater London", "SW"),
    ("Manchester", "Greater Manchester", "M"), ("Leeds", "West Yorkshire", "LS"),
    ("Bradford", "West Yorkshire", "BD"), ("Sheffield", "South Yorkshire", "S"),
    ("Birmingham", "West Midlands", "B"), ("Coventry", "West Midlands", "CV"),
    ("Bristol", None, "BS"), ("Bath", "Somerset", "BA"), ("Exeter", "Devon", "EX"),
    ("Plymouth", "Devon", "PL"), ("Norwich", "Norfolk", "NR"), ("Cambridge", "Cambridgeshire", "CB"),
    ("Oxford", "Oxfordshire", "OX"), ("Reading", "Berkshire", "RG"), ("Brighton", "East Sussex", "BN"),
    ("Canterbury", "Kent", "CT"), ("Southampton", "Hampshire", "SO"), ("Nottingham", None, "NG"),
    ("Leicester", "Leicestershire", "LE"), ("York", "North Yorkshire", "YO"),
    ("Newcastle upon Tyne", "Tyne and Wear", "NE"), ("Liverpool", "Merseyside", "L"),
    ("Chester", "Cheshire", "CH"), ("Lancaster", "Lancashire", "LA"), ("Carlisle", "Cumbria", "CA"),
    ("Cardiff", None, "CF"), ("Swansea", None, "SA"), ("Edinburgh", None, "EH"),
    ("Glasgow", None, "G"), ("Aberdeen", None, "AB"), ("Dundee", None, "DD"),
    ("Belfast", "County Antrim", "BT"), ("Guildford", "Surrey", "GU"), ("Ipswich", "Suffolk", "IP"),
]
SCOTTISH = {"EH", "G", "AB", "DD"}
# Industry word, SIC code (UK SIC 2007)
TRADES = [
    ("Consulting", "70229"), ("Software", "62012"), ("IT Services", "62020"),
    ("Engineering", "71129"), ("Construction", "41202"), ("Builders", "41202"),
    ("Plumbing", "43220"), ("Electrical", "43210"), ("Roofing", "43910"),
    ("Property", "68209"), ("Lettings", "68310"), ("Logistics", "49410"), ("Haulage", "49410"),
    ("Design", "74100"), ("Marketing", "73110"), ("Catering", "56210"), ("Kitchen", "56101"),
    ("Bakery", "10710"), ("Motors", "45200"), ("Dental Care", "86230"), ("Physiotherapy", "86900"),
    ("Hair Studio", "96020"), ("Training", "85590"), ("Recruitment", "78109"),
    ("Retail", "47190"), ("Farms", "01500"), ("Hotels", "55100"), ("Architects", "71111"),
    ("Media", "59112"), ("Security", "80100"), ("Cleaning", "81210"), ("Landscapes", "81300"),
]
PREFIXES = ["Apex", "Northern", "Harbour", "Summit", "Oakwood", "Riverside", "Castle", "Meridian",
            "Highland", "Kingfisher", "Beacon", "Thames", "Pennine", "Cotswold", "Lakeland",
            "Albion", "Crown", "Anchor", "Brightwater", "Foxglove", "Granite", "Heritage",
            "Ivy", "Juniper", "Larch", "Maple", "Orchard", "Pioneer", "Quay", "Redwood", "Sterling",
            "Trinity", "Union", "Vale", "Willow", "Yew Tree", "Blue Sky", "Greenfield", "Silverline"]
CHARITY_WORDS = ["Community Trust", "Foundation", "Youth Project", "Food Bank", "Arts Trust",
                 "Heritage Society", "Wildlife Trust", "Carers Network", "Sports Association"]
CHARITY_SIC = ["88990", "94990", "85520", "91040", "93120"]
ENTITY_WEIGHTS = {"limited_company": 58, "llp": 5, "plc": 2, "partnership": 10,
                  "sole_trader": 17, "charity": 8}
BUSINESS_ROLES = {"limited_company": "Director", "plc": "Finance director",
                  "llp": "Designated member", "partnership": "Partner", "sole_trader": "Owner",
                  "charity": "Treasurer"}
OTHER_ROLES = ["Bookkeeper", "Company secretary", "Office manager", "Finance manager",
               "Director", "Payroll administrator"]
TITLES = {"f": ["Mrs", "Ms", "Miss", "Dr"], "m": ["Mr", "Mr", "Dr"]}
PHONE_PREFIXES = ["020 7946 0", "0113 496 0", "0161 496 0", "0117 496 0", "0131 496 0",
                  "07700 900"]  # Ofcom's ranges reserved for drama: never a real line
NI_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
NI_BANNED = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
