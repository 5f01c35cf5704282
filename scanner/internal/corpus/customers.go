package corpus

import "strings"

// customerNames is the invented customer list the corpus plants; the golden
// test writes it to testdata/corpus/customers.txt for the corpus rule file.
// Names are multi-word or long single words so that ordinary prose cannot
// contain one by accident.
var customerNames = strings.Split(strings.TrimSpace(`
Northwind Traders
Contoso Pharmaceuticals
Fabrikam Logistics
Halvorsen Marine
Quillfeather Books
Brightwater Energy
Ironbridge Capital
Silverpine Health
Redstone Analytics
Bluecrest Insurance
Oakhollow Foods
Marlowe & Finch
Tidewell Shipping
Caldera Robotics
Emberly Textiles
Granite Peak Outfitters
Harborview Hospitality
Juniper Ridge Wineries
Kestrel Aerospace
Lumen Grove Lighting
Meridian Freightways
Nightingale Clinics
Orchard Lane Bakeries
Pinecrest Telecom
Quarry Hill Materials
Rosewood Interiors
Saltmarsh Seafoods
Thornbury Legal
Umberfield Mining
Vantage Point Media
Westbrook Pharmacy
Yellowfield Solar
Zephyr Wind Systems
Ashgrove Dental
Birchwood Furniture
Copperline Cables
Driftwood Resorts
Evergreen Pet Supply
Foxglove Cosmetics
Glenmore Distillers
Hollowbrook Dairy
Inkwell Publishing
Jadestone Jewelers
Kingsbridge Holdings
Larkspur Florals
Moonstone Software
Newhaven Ferries
Oxbow Agricultural
Pebble Creek Water
Quicksilver Couriers
Ravenscroft Security
Stonegate Property Group
Tamarack Outdoor
Underhill Engineering
Valewood Timber
Whitmore Ceramics
Yarrow Botanicals
Alderbank Credit Union
Bramblewood Toys
Cinderford Steel
Dovecote Hotels
Elmstead Academy
Fernhill Nurseries
Goldcrest Airlines
Heathrow Parcel Express
Ivybridge Medical
Kingfisher Optics
Lindenhall Bank
Millbrook Paper Mills
Nettlefield Farms
Old Quay Brewing
Primrose Care Homes
Rainford Chemicals
Sandpiper Travel
Thistledown Apparel
Upland Wireless
Violet Hill Studios
Windermere Yachts
Ambervale Foods
Blackthorn Defense
Cobaltica Batteries
Deepwell Drilling
Eastgate Motors
Falconridge Partners
Greystone Mutual
Hawksmoor Architects
Islington Print Works
Larchmont Realty
Mistral Audio
Norland Railways
Oakmere Veterinary
Pemberton Glassworks
Quayside Fisheries
Riverbend Hospital
Skylark Drones
Trelawney Tea Company
Vireo Biosciences
Wrenfield Bicycles
Amberlight Games
Bellwether Consulting
Clearbrook Utilities
Dunmore Cement
Everfield Grain
Fairhaven Bank
Gullwing Automotive
Highmoor Insurance
Icefield Refrigeration
Jasperwood Flooring
Keystone Harbor Group
Lantern Bay Cinemas
Mapleton Hardware
Northgate Semiconductors
Osprey Maritime
Palisade Health Partners
Quinton Aggregates
Rookwood Pottery Guild
Shearwater Petroleum
Tallgrass Cattle Company
Underwood Typewriter Co
Verdant Labs
Wolfsbane Pharmaceuticals
Axton Freight Lines
Bayleaf Restaurants
Crowthorne Logistics
Delacroix Perfumes
Esterbrook Pens
Flintlock Outdoor Gear
Galloway Textiles
Hartwell Medical Devices
Ironclad Storage
Jubilee Bakeries
Kittering Engineering
Lockwood Forensics
Montclair Dairies
Nimbus Cloudworks
Oldcastle Brewery
Pennington Foods
Quenby Manufacturing
Roxbury Health System
Stillwater Capital
Tennyson Publishing
Ulverston Plastics
Vesper Hotels
Wexford Biologics
Yorkshire Provident
Adderley Instruments
Barnstable Fisheries
Carrington Freight
Dalesford Mining
Easterly Wind Farms
Fitzroy Outfitters
Glastonbury Organics
Holloway Steelworks
Inverness Distilling
Jarrow Shipbuilders
Kensal Rise Studios
Loxley Archery Supply
Marchbank Insurance
Nantwich Salt Works
Ormskirk Growers
Penrose Semiconductor
Quarrington Clay
Rushmere Utilities
Sedgewick Retail Group
Tavistock Instruments
Uppingham Schools Trust
Ventnor Ferries
Whitby Jet Merchants
Ashcombe Logistics
Beaumont Aviation
Castlereagh Foods
Dunraven Properties
Elderflower Beverages
Farrowdale Pork
Glenrothes Paper
Hathersage Outdoor
Ingleby Chemicals
Juniperhill Pharma
Kelmscott Press
Longridge Ceramics
Montague Private Bank
Northcote Lumber
Ottery Mills
Pendragon Security
Quantock Cider Company
Rivington Foods
Sherwood Forest Timber
Tintagel Minerals
Ullswater Boats
Verulam Health
Warrington Wire
Yeovil Aerostructures
Abbotsford Press
Bracknell Data Systems
Cheltenham Clinics
Dorchester Mutual
Enfield Fabrication
Fenwick Department Stores
Grantham Grain Co
Helmsley Estates
Ilfracombe Seafood
Jesmond Capital
Kirkwall Energy
Ludlow Fine Foods
Malvern Spring Water
Newbury Racing Supplies
Oundle Instruments
Penzance Packaging
Rochdale Cotton Mills
Stamford Medical Group
Thetford Plastics
Uttoxeter Logistics
Wetherby Builders
Alcott Robotics
Blythe Diagnostics
Carraway Commerce
Delmar Orchards
Everhart Legal Services
Fairbanks Cold Storage
Galvanic Systems
Hollister Bay Shipping
Ingersoll Greenhouses
Jansen Medical Imaging
Kaleido Displays
Lowell Mercantile
Mayfair Cosmetics
Norrington Coaches
Olympus Ridge Resorts
Prescott Valve Company
Quarterdeck Marine
Rutherford Instruments
Sorrento Foods
Trevanion Mining
Upshaw Electrical
Valentia Cables
Westerly Solar
Yardley Hearth
Zellmore Analytics
Applewood Senior Living
Brackenridge Oil
Corvallis Timberworks
Dunwoody Freight
Edgewater Clinics
Fennimore Grocers
Glasswing Optics
Hightower Storage
Innisfree Hotels
Jellicoe Naval Supply
Kilbride Woollens
Lakeshore Credit
Merriweather Events
Northbrook Paints
Oberlin Audio
Pritchard Bearings
Quimby Toyworks
Rimrock Aggregates
Starling Payments
Tolliver Brands
Unity Harbor Bank
Vickery Wholesale
Waverley Appliances
Yellowstone Outfitters
Arbutus Biotech
Briarwood Academy
Calloway Boatworks
Dunhaven Medical
Eastwick Pharma
Foxhollow Farms
Greenlaw Partners
Hawthorne Freight
Ironwood Precision
Jubal Music Group
Kinsale Seafoods
Lavender Lane Spas
Morland Brewery
Nutley Industrial
Overbrook Schools
Parkhurst Insurance
Queensway Motors
Redfern Pharmacies
Sunderland Glass
Torrington Tools
Upperton Dairy
Vauxwell Energy
Whitlock Textiles
Yarmouth Trawlers
Alvarado Construction
Bellamy Aircraft Parts
Coldharbour Ventures
Daventry Electronics
Eskdale Quarries
Fallowfield Pharma
Gatwick Catering
Holmfirth Yarns
Idlewild Entertainment
`), "\n")
