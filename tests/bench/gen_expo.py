#!/usr/bin/python3
"""gen_expo.py: a deterministic synthetic expo for expomatch's matching
evaluation and benchmarks, and a loader that puts it into a running daemon.

Generate (the default mode; "gen" may be given as the first word):

    /usr/bin/python3 tests/bench/gen_expo.py --seed 1 --participants 100000 \\
        [--event ID] [--slots N] [--tables N] [--planted-pairs N] [--out DIR]

writes, in DIR (default: ./expo-<seed>-<participants>):

  event.json         the event.put arguments: `event`, `name`, `slots` (30
                     minute slots from the fixed base date 2026-07-13, 14 a
                     day: 09:00-12:00 and 13:00-17:00, ids like "d1-0900"),
                     `tables`, `interpreters` (pairs of a language with "en"
                     or with a neighbour language), `meeting_minutes`,
                     `timezone`.
  participants.jsonl one profile.put argument map per line, ids "p000000"...;
                     every field valid per the Profile table of the wire
                     contract (PROTOCOL.md, v1).
  planted.jsonl      {"a": id, "b": id} per line: planted complementary
                     pairs, "a" a buyer, "b" a seller.

The same arguments give byte-identical files (with the same Python minor
version: only random.Random's documented seeded stream is used).
Participants are written as they are made, so memory stays bounded by the
number of planted pairs, not the number of participants.

Distributions:
  - side: buyer 45%, seller 45%, both 10%; size: micro 30%, small 42%,
    medium 20%, large 8%.
  - country: 38 countries weighted toward Asia-Pacific SMEs (TH, CN, VN, IN,
    ID, MY, JP, KR, PH ... then Gulf, Europe, Americas, Africa).
    languages: the country's language(s), plus "en" often (always when the
    phrasebook has no text in the native language).
  - products: 46 families (coffee, rice, shrimp, rubber, apparel,
    electronics, auto parts, solar panels, spices, palm oil, pharma, toys,
    software and logistics services...) with Zipf-like popularity; sellers
    favour the families their country produces. An item has an HS code at
    6 (~60%), 4 (~30%) or 2 (~10%) digits and/or a phrase from a built-in
    phrasebook in the participant's language (en, th, zh, ja, ar, es, vi,
    id, he, fr, de; services are text only).
  - sectors: ISIC Rev.4 of the families: a producer's class (4 digits), its
    group (3), division (2) or section letter; buyers mostly the wholesale
    class of the goods (46xx, 4530 for auto parts), sometimes 4690/47xx.
  - "star" sellers (~0.3%, large, many popular families, many markets) make
    congestion visible.
  - slots: ~60% free in all (field left out), else one day or a random
    subset; max_meetings on ~30%.
  - planted pairs: a buyer A and a seller B with A needing exactly B's
    6-digit HS code (with the same phrase in a language both speak), B
    needing A's 6-digit offer, each in the other's markets, a shared
    cooperation type and free slots. Their codes are drawn uniformly over
    the families' less common 6-digit codes, so random pairs rarely look
    like this.

Load:

    /usr/bin/python3 tests/bench/gen_expo.py load --port P --token-file F \\
        --dir DIR [--host 127.0.0.1] [--pipeline 64]

authenticates with the token in F (admin or the event's organizer), sends
event.put, then every profile.put, pipelined up to --pipeline requests in
flight on one connection, and prints the rate of puts per second. It stops
and exits 1 at the first error reply. Loopback hosts only.
"""
import argparse
import bisect
import datetime
import importlib.util
import ipaddress
import json
import os
import random
import socket
import sys
import time

BASE_DATE = (2026, 7, 13)
SLOTS_PER_DAY_TIMES = ["0900", "0930", "1000", "1030", "1100", "1130",
                       "1300", "1330", "1400", "1430", "1500", "1530",
                       "1600", "1630"]

# Phrasebook languages, in the order of each family's phrases.
LANGS = ["en", "th", "zh", "ja", "ar", "es", "vi", "id", "he", "fr", "de"]
LANG_INDEX = {lang: i for i, lang in enumerate(LANGS)}

# (key, popularity, [(HS code, weight)], producer ISIC classes, wholesale
#  ISIC class, producing countries, phrases in LANGS order).
# HS codes are HS 2017/2022 subheadings; an empty code list is a service.
FAMILIES = [
    ("coffee", 9, [("090111", 6), ("090121", 3), ("090112", 1), ("090190", 1)],
     ["0127", "1079"], "4630", "VN BR ID CO IN TH ET MX",
     ["arabica coffee beans", "เมล็ดกาแฟอาราบิก้า", "阿拉比卡咖啡豆",
      "アラビカコーヒー豆", "حبوب البن العربي", "granos de café arábica",
      "hạt cà phê arabica", "biji kopi arabika", "פולי קפה ערביקה",
      "grains de café arabica", "Arabica-Kaffeebohnen"]),
    ("tea", 4, [("090230", 4), ("090210", 2), ("090240", 1)],
     ["0127", "1079"], "4630", "CN IN LK KE VN JP",
     ["black tea leaves", "ใบชาดำ", "红茶茶叶", "紅茶の茶葉",
      "أوراق الشاي الأسود", "hojas de té negro", "lá trà đen",
      "daun teh hitam", "עלי תה שחור", "feuilles de thé noir",
      "schwarze Teeblätter"]),
    ("rice", 8, [("100630", 6), ("100640", 2), ("100610", 1)],
     ["0112", "1061"], "4630", "TH VN IN PK KH BD",
     ["jasmine rice", "ข้าวหอมมะลิ", "茉莉香米", "ジャスミン米",
      "أرز الياسمين", "arroz jazmín", "gạo thơm lài", "beras melati",
      "אורז יסמין", "riz jasmin", "Jasminreis"]),
    ("shrimp", 7, [("030617", 5), ("160521", 2), ("030616", 1)],
     ["0321", "1020"], "4630", "TH VN IN ID EC BD",
     ["frozen vannamei shrimp", "กุ้งขาวแช่แข็ง", "冷冻南美白虾",
      "冷凍バナメイエビ", "روبيان فانامي مجمد", "camarón vannamei congelado",
      "tôm thẻ chân trắng đông lạnh", "udang vaname beku",
      "שרימפס ונאמי קפוא", "crevettes vannamei surgelées",
      "gefrorene Vannamei-Garnelen"]),
    ("tuna", 3, [("160414", 4), ("030487", 2)],
     ["0311", "1020"], "4630", "TH PH ID VN EC ES",
     ["canned tuna", "ปลาทูน่ากระป๋อง", "金枪鱼罐头", "ツナ缶",
      "تونة معلبة", "atún enlatado", "cá ngừ đóng hộp", "tuna kaleng",
      "טונה משומרת", "thon en conserve", "Thunfischkonserven"]),
    ("rubber", 6, [("400122", 5), ("400121", 2), ("400110", 2)],
     ["0129", "2219"], "4669", "TH ID MY VN",
     ["natural rubber STR20", "ยางธรรมชาติ STR20", "天然橡胶 STR20",
      "天然ゴム STR20", "مطاط طبيعي", "caucho natural", "cao su thiên nhiên",
      "karet alam", "גומי טבעי", "caoutchouc naturel", "Naturkautschuk"]),
    ("gloves", 3, [("401519", 4), ("401511", 1)],
     ["2219"], "4649", "MY TH CN VN",
     ["nitrile examination gloves", "ถุงมือไนไตรล์", "丁腈检查手套",
      "ニトリル検査用手袋", "قفازات فحص نتريل", "guantes de nitrilo",
      "găng tay nitrile", "sarung tangan nitril", "כפפות ניטריל",
      "gants d'examen en nitrile", "Nitril-Untersuchungshandschuhe"]),
    ("knitwear", 8, [("610910", 6), ("611020", 2), ("610462", 1)],
     ["1430", "1410"], "4641", "CN BD VN IN TR KH PK",
     ["cotton t-shirts", "เสื้อยืดผ้าฝ้าย", "纯棉T恤", "綿Tシャツ",
      "قمصان قطنية", "camisetas de algodón", "áo thun cotton", "kaos katun",
      "חולצות טי מכותנה", "t-shirts en coton", "Baumwoll-T-Shirts"]),
    ("apparel", 6, [("620342", 4), ("620520", 2), ("620462", 2)],
     ["1410"], "4641", "CN BD VN IN TR ID",
     ["men's cotton trousers", "กางเกงผ้าฝ้ายผู้ชาย", "男士棉质长裤",
      "メンズ綿パンツ", "سراويل قطنية رجالية",
      "pantalones de algodón para hombre", "quần kaki nam",
      "celana katun pria", "מכנסי כותנה לגברים",
      "pantalons en coton pour homme", "Herrenhosen aus Baumwolle"]),
    ("denim", 3, [("520942", 4), ("520512", 1)],
     ["1312", "1311"], "4641", "CN PK IN TR BD",
     ["denim fabric", "ผ้ายีนส์", "牛仔布", "デニム生地", "قماش الدنيم",
      "tela de mezclilla", "vải denim", "kain denim", "בד ג'ינס",
      "tissu denim", "Denimstoff"]),
    ("footwear", 4, [("640399", 4), ("640411", 3)],
     ["1520"], "4641", "VN CN ID IN IT BR",
     ["leather shoes", "รองเท้าหนัง", "真皮鞋", "革靴", "أحذية جلدية",
      "zapatos de cuero", "giày da", "sepatu kulit", "נעלי עור",
      "chaussures en cuir", "Lederschuhe"]),
    ("laptops", 6, [("847130", 6), ("847150", 2), ("847141", 1)],
     ["2620"], "4651", "CN TW KR JP US",
     ["laptop computers", "คอมพิวเตอร์โน้ตบุ๊ก", "笔记本电脑", "ノートパソコン",
      "حواسيب محمولة", "computadoras portátiles", "máy tính xách tay",
      "laptop", "מחשבים ניידים", "ordinateurs portables", "Laptops"]),
    ("phones", 7, [("851713", 6), ("851762", 3)],
     ["2630"], "4652", "CN KR VN IN TW",
     ["smartphones", "สมาร์ทโฟน", "智能手机", "スマートフォン", "هواتف ذكية",
      "teléfonos inteligentes", "điện thoại thông minh", "ponsel pintar",
      "טלפונים חכמים", "smartphones", "Smartphones"]),
    ("chips", 5, [("854231", 4), ("854232", 2), ("854239", 2)],
     ["2610"], "4652", "TW KR CN MY JP SG US IL",
     ["integrated circuits and microcontrollers",
      "วงจรรวมและไมโครคอนโทรลเลอร์", "集成电路和单片机", "集積回路とマイコン",
      "دوائر متكاملة ومتحكمات دقيقة", "circuitos integrados y microcontroladores",
      "vi mạch tích hợp và vi điều khiển", "sirkuit terpadu dan mikrokontroler",
      "מעגלים משולבים ומיקרו-בקרים", "circuits intégrés et microcontrôleurs",
      "integrierte Schaltungen und Mikrocontroller"]),
    ("solar", 6, [("854143", 6), ("854142", 2), ("850440", 1)],
     ["2610", "2710"], "4659", "CN VN MY IN DE",
     ["monocrystalline solar panels", "แผงโซลาร์เซลล์โมโนคริสตัลไลน์",
      "单晶硅太阳能电池板", "単結晶ソーラーパネル",
      "ألواح شمسية أحادية البلورة", "paneles solares monocristalinos",
      "tấm pin năng lượng mặt trời đơn tinh thể", "panel surya monokristal",
      "פאנלים סולאריים חד-גבישיים", "panneaux solaires monocristallins",
      "monokristalline Solarmodule"]),
    ("autoparts", 7, [("870830", 4), ("870899", 4), ("870840", 1), ("870880", 1)],
     ["2930"], "4530", "TH CN JP DE KR MX IN",
     ["brake pads and auto parts", "ผ้าเบรกและชิ้นส่วนรถยนต์",
      "刹车片及汽车零部件", "ブレーキパッドと自動車部品",
      "فحمات الفرامل وقطع غيار السيارات", "pastillas de freno y autopartes",
      "má phanh và phụ tùng ô tô", "kampas rem dan suku cadang mobil",
      "רפידות בלמים וחלקי רכב", "plaquettes de frein et pièces auto",
      "Bremsbeläge und Autoteile"]),
    ("tyres", 3, [("401110", 4), ("401120", 2)],
     ["2211"], "4530", "TH CN JP KR ID",
     ["passenger car tyres", "ยางรถยนต์นั่ง", "乘用车轮胎", "乗用車用タイヤ",
      "إطارات سيارات الركاب", "neumáticos para automóviles",
      "lốp xe du lịch", "ban mobil penumpang", "צמיגים לרכב פרטי",
      "pneus pour voitures", "PKW-Reifen"]),
    ("furniture", 6, [("940360", 5), ("940350", 2), ("940161", 2)],
     ["3100"], "4649", "VN CN MY ID IT PL",
     ["solid wood furniture", "เฟอร์นิเจอร์ไม้จริง", "实木家具", "無垢材家具",
      "أثاث خشب صلب", "muebles de madera maciza", "đồ gỗ nội thất",
      "furnitur kayu jati", "רהיטי עץ מלא", "meubles en bois massif",
      "Massivholzmöbel"]),
    ("cosmetics", 7, [("330499", 6), ("330410", 1), ("330420", 1)],
     ["2023"], "4649", "KR FR JP TH CN US",
     ["natural skincare cosmetics", "เครื่องสำอางบำรุงผิวจากธรรมชาติ",
      "天然护肤化妆品", "自然派スキンケア化粧品",
      "مستحضرات تجميل طبيعية للعناية بالبشرة",
      "cosméticos naturales para el cuidado de la piel",
      "mỹ phẩm chăm sóc da thiên nhiên", "kosmetik perawatan kulit alami",
      "קוסמטיקה טבעית לטיפוח העור", "cosmétiques naturels de soin de la peau",
      "Naturkosmetik zur Hautpflege"]),
    ("perfume", 2, [("330300", 1)],
     ["2023"], "4649", "FR AE IT ES",
     ["perfumes and fragrances", "น้ำหอม", "香水", "香水とフレグランス", "عطور",
      "perfumes y fragancias", "nước hoa", "parfum", "בשמים", "parfums",
      "Parfüms und Duftstoffe"]),
    ("juice", 5, [("200989", 4), ("200941", 2), ("200911", 1)],
     ["1030"], "4630", "TH BR PH VN MX ES",
     ["tropical fruit juice", "น้ำผลไม้เมืองร้อน", "热带果汁",
      "トロピカルフルーツジュース", "عصير فواكه استوائية",
      "jugo de frutas tropicales", "nước ép trái cây nhiệt đới",
      "jus buah tropis", "מיץ פירות טרופיים", "jus de fruits tropicaux",
      "tropischer Fruchtsaft"]),
    ("pineapple", 2, [("200820", 3), ("200899", 1)],
     ["1030"], "4630", "TH PH ID",
     ["canned pineapple", "สับปะรดกระป๋อง", "菠萝罐头", "パイナップル缶詰",
      "أناناس معلب", "piña enlatada", "dứa đóng hộp", "nanas kaleng",
      "אננס משומר", "ananas en conserve", "Ananaskonserven"]),
    ("fruit", 5, [("081090", 4), ("080450", 3), ("080390", 2)],
     ["0122"], "4630", "TH VN MY PH MX IN",
     ["fresh durian and mango", "ทุเรียนและมะม่วงสด", "新鲜榴莲和芒果",
      "生ドリアンとマンゴー", "دوريان ومانجو طازج", "durián y mango frescos",
      "sầu riêng và xoài tươi", "durian dan mangga segar",
      "דוריאן ומנגו טריים", "durian et mangue frais",
      "frische Durian und Mango"]),
    ("pepper", 4, [("090411", 4), ("090412", 1), ("090421", 2)],
     ["0128"], "4630", "VN IN ID BR MY",
     ["black pepper", "พริกไทยดำ", "黑胡椒", "黒胡椒", "فلفل أسود",
      "pimienta negra", "hạt tiêu đen", "lada hitam", "פלפל שחור",
      "poivre noir", "schwarzer Pfeffer"]),
    ("cinnamon", 2, [("090611", 2), ("090700", 1), ("090831", 1)],
     ["0128"], "4630", "ID LK VN IN",
     ["cinnamon and cloves", "อบเชยและกานพลู", "肉桂和丁香",
      "シナモンとクローブ", "قرفة وقرنفل", "canela y clavo",
      "quế và đinh hương", "kayu manis dan cengkeh", "קינמון וציפורן",
      "cannelle et clous de girofle", "Zimt und Nelken"]),
    ("ginger", 3, [("091011", 3), ("091030", 2), ("091099", 1)],
     ["0128"], "4630", "IN CN TH ID NG",
     ["dried ginger and turmeric", "ขิงและขมิ้นแห้ง", "干姜和姜黄",
      "乾燥生姜とウコン", "زنجبيل وكركم مجفف", "jengibre y cúrcuma secos",
      "gừng và nghệ khô", "jahe dan kunyit kering",
      "ג'ינג'ר וכורכום מיובשים", "gingembre et curcuma séchés",
      "getrockneter Ingwer und Kurkuma"]),
    ("palmoil", 6, [("151110", 5), ("151190", 3)],
     ["0126", "1040"], "4630", "ID MY TH NG",
     ["crude palm oil", "น้ำมันปาล์มดิบ", "粗棕榈油", "パーム原油",
      "زيت النخيل الخام", "aceite de palma crudo", "dầu cọ thô",
      "minyak sawit mentah", "שמן דקלים גולמי", "huile de palme brute",
      "rohes Palmöl"]),
    ("coconut", 3, [("080111", 3), ("151311", 2)],
     ["0126", "1040"], "4630", "PH ID LK TH VN",
     ["desiccated coconut and coconut oil",
      "มะพร้าวขูดอบแห้งและน้ำมันมะพร้าว", "椰蓉和椰子油",
      "乾燥ココナッツとココナッツオイル", "جوز الهند المجفف وزيت جوز الهند",
      "coco deshidratado y aceite de coco", "cơm dừa sấy và dầu dừa",
      "kelapa parut kering dan minyak kelapa", "קוקוס מיובש ושמן קוקוס",
      "noix de coco râpée et huile de coco", "Kokosraspeln und Kokosöl"]),
    ("sugar", 3, [("170114", 3), ("170199", 2)],
     ["1072"], "4630", "BR TH IN AU MX",
     ["raw cane sugar", "น้ำตาลทรายดิบ", "原糖", "原料糖", "سكر القصب الخام",
      "azúcar de caña cruda", "đường thô", "gula tebu mentah",
      "סוכר קנים גולמי", "sucre de canne brut", "Rohrohrzucker"]),
    ("cashew", 3, [("080132", 4), ("080131", 1)],
     ["0125"], "4630", "VN IN NG KE BR",
     ["cashew nuts W320", "เม็ดมะม่วงหิมพานต์", "腰果仁", "カシューナッツ",
      "كاجو", "nueces de marañón", "hạt điều", "kacang mete", "אגוזי קשיו",
      "noix de cajou", "Cashewkerne"]),
    ("cocoa", 3, [("180100", 3), ("180400", 2), ("180631", 1)],
     ["0127", "1073"], "4630", "ID NG BR MY EC",
     ["cocoa beans and cocoa butter", "เมล็ดโกโก้และเนยโกโก้",
      "可可豆和可可脂", "カカオ豆とカカオバター",
      "حبوب الكاكاو وزبدة الكاكاو", "granos de cacao y manteca de cacao",
      "hạt ca cao và bơ ca cao", "biji kakao dan lemak kakao",
      "פולי קקאו וחמאת קקאו", "fèves de cacao et beurre de cacao",
      "Kakaobohnen und Kakaobutter"]),
    ("noodles", 3, [("190230", 3), ("190219", 1)],
     ["1074"], "4630", "TH VN ID KR CN JP",
     ["instant noodles", "บะหมี่กึ่งสำเร็จรูป", "方便面", "インスタントラーメン",
      "نودلز سريعة التحضير", "fideos instantáneos", "mì ăn liền",
      "mi instan", "אטריות אינסטנט", "nouilles instantanées",
      "Instantnudeln"]),
    ("foodmachinery", 5, [("842240", 3), ("843880", 3), ("847989", 2)],
     ["2825", "2829"], "4659", "DE IT JP CN KR",
     ["food packaging machinery", "เครื่องจักรบรรจุภัณฑ์อาหาร", "食品包装机械",
      "食品包装機械", "آلات تعبئة وتغليف الأغذية",
      "maquinaria de envasado de alimentos", "máy đóng gói thực phẩm",
      "mesin pengemasan makanan", "מכונות אריזה למזון",
      "machines d'emballage alimentaire", "Lebensmittelverpackungsmaschinen"]),
    ("robots", 2, [("847950", 3), ("851521", 1)],
     ["2829", "2790"], "4659", "JP DE KR CN",
     ["industrial robots", "หุ่นยนต์อุตสาหกรรม", "工业机器人",
      "産業用ロボット", "روبوتات صناعية", "robots industriales",
      "robot công nghiệp", "robot industri", "רובוטים תעשייתיים",
      "robots industriels", "Industrieroboter"]),
    ("pumps", 2, [("841370", 3), ("841381", 1)],
     ["2813"], "4659", "CN DE IT IN JP",
     ["centrifugal water pumps", "ปั๊มน้ำหอยโข่ง", "离心水泵",
      "遠心ポンプ", "مضخات مياه طاردة مركزية", "bombas centrífugas de agua",
      "máy bơm nước ly tâm", "pompa air sentrifugal",
      "משאבות מים צנטריפוגליות", "pompes centrifuges à eau",
      "Kreiselpumpen für Wasser"]),
    ("pharma", 5, [("300490", 5), ("300420", 2), ("300410", 1)],
     ["2100"], "4649", "IN DE CN IL FR US",
     ["generic medicines", "ยาสามัญ", "仿制药", "ジェネリック医薬品",
      "أدوية جنيسة", "medicamentos genéricos", "thuốc generic",
      "obat generik", "תרופות גנריות", "médicaments génériques", "Generika"]),
    ("meddevices", 3, [("901890", 4), ("901819", 1), ("902219", 1)],
     ["3250"], "4649", "DE US CN IL JP",
     ["medical devices and instruments", "เครื่องมือแพทย์", "医疗器械",
      "医療機器", "أجهزة ومعدات طبية", "dispositivos médicos",
      "thiết bị y tế", "alat kesehatan", "מכשור רפואי",
      "dispositifs médicaux", "Medizinprodukte"]),
    ("toys", 4, [("950300", 1)],
     ["3240"], "4649", "CN VN TH DE",
     ["wooden educational toys", "ของเล่นไม้เสริมพัฒนาการ", "木制益智玩具",
      "木製知育玩具", "ألعاب خشبية تعليمية", "juguetes educativos de madera",
      "đồ chơi gỗ giáo dục", "mainan edukasi kayu", "צעצועי עץ חינוכיים",
      "jouets éducatifs en bois", "Holzlernspielzeug"]),
    ("packaging", 4, [("392321", 3), ("392330", 2), ("392020", 1)],
     ["2220"], "4669", "CN TH VN MY IN TR",
     ["plastic packaging bags", "ถุงพลาสติกบรรจุภัณฑ์", "塑料包装袋",
      "プラスチック包装袋", "أكياس تغليف بلاستيكية",
      "bolsas plásticas de embalaje", "túi nhựa bao bì",
      "kantong plastik kemasan", "שקיות אריזה מפלסטיק",
      "sacs d'emballage en plastique", "Kunststoffverpackungsbeutel"]),
    ("steel", 3, [("721049", 3), ("720839", 2), ("730890", 2)],
     ["2410", "2511"], "4662", "CN IN JP KR TR VN",
     ["galvanized steel sheets", "เหล็กแผ่นชุบสังกะสี", "镀锌钢板",
      "亜鉛めっき鋼板", "صفائح فولاذ مجلفن", "láminas de acero galvanizado",
      "thép tấm mạ kẽm", "lembaran baja galvanis", "פחי פלדה מגולוונים",
      "tôles d'acier galvanisé", "verzinkte Stahlbleche"]),
    ("led", 4, [("940542", 3), ("853950", 3)],
     ["2740"], "4659", "CN VN TH DE",
     ["LED lighting", "หลอดไฟแอลอีดี", "LED照明灯具", "LED照明",
      "إضاءة LED", "iluminación LED", "đèn LED", "lampu LED", "תאורת LED",
      "éclairage LED", "LED-Beleuchtung"]),
    ("jewelry", 2, [("711319", 3), ("710239", 1)],
     ["3211"], "4649", "TH IN IL IT TR AE",
     ["gold and silver jewellery", "เครื่องประดับทองและเงิน", "金银首饰",
      "金銀ジュエリー", "مجوهرات ذهبية وفضية", "joyería de oro y plata",
      "trang sức vàng bạc", "perhiasan emas dan perak", "תכשיטי זהב וכסף",
      "bijoux en or et en argent", "Gold- und Silberschmuck"]),
    ("tiles", 2, [("690721", 3), ("690722", 1)],
     ["2392"], "4663", "CN ES IT IN VN TR",
     ["porcelain floor tiles", "กระเบื้องพอร์ซเลน", "瓷质地砖",
      "磁器質床タイル", "بلاط أرضيات بورسلين", "baldosas de porcelanato",
      "gạch lát nền porcelain", "ubin lantai porselen",
      "אריחי פורצלן לרצפה", "carrelage en grès cérame",
      "Feinsteinzeug-Bodenfliesen"]),
    ("handicrafts", 2, [("460219", 3), ("460212", 1)],
     ["1629"], "4649", "VN ID PH TH",
     ["rattan and bamboo baskets", "ตะกร้าหวายและไม้ไผ่", "藤编竹编篮",
      "籐と竹のかご", "سلال من الخيزران والروطان", "cestas de ratán y bambú",
      "giỏ mây tre đan", "keranjang rotan dan bambu", "סלי ראטן ובמבוק",
      "paniers en rotin et bambou", "Rattan- und Bambuskörbe"]),
    ("wine", 2, [("220421", 1)],
     ["1102"], "4630", "FR IT ES DE AU CL",
     ["red wine", "ไวน์แดง", "红葡萄酒", "赤ワイン", "نبيذ أحمر",
      "vino tinto", "rượu vang đỏ", "anggur merah", "יין אדום",
      "vin rouge", "Rotwein"]),
    ("dairy", 2, [("040210", 2), ("040221", 1)],
     ["1050"], "4630", "DE FR AU NL US",
     ["skimmed milk powder", "นมผงขาดมันเนย", "脱脂奶粉", "脱脂粉乳",
      "حليب مجفف خالي الدسم", "leche en polvo descremada", "sữa bột tách béo",
      "susu bubuk skim", "אבקת חלב רזה", "lait écrémé en poudre",
      "Magermilchpulver"]),
    ("chicken", 3, [("020714", 3), ("160232", 1)],
     ["1010"], "4630", "BR TH US TR",
     ["frozen halal chicken", "ไก่แช่แข็งฮาลาล", "清真冷冻鸡肉",
      "冷凍ハラール鶏肉", "دجاج حلال مجمد", "pollo halal congelado",
      "thịt gà đông lạnh halal", "ayam beku halal", "עוף קפוא חלאל",
      "poulet halal surgelé", "gefrorenes Halal-Hähnchen"]),
    ("software", 4, [],
     ["6201", "6202"], "6209", "IN VN IL US DE SG",
     ["ERP software development", "พัฒนาซอฟต์แวร์ ERP", "ERP软件开发",
      "ERPソフトウェア開発", "تطوير برمجيات تخطيط موارد المؤسسات",
      "desarrollo de software ERP", "phát triển phần mềm ERP",
      "pengembangan perangkat lunak ERP", "פיתוח תוכנת ERP",
      "développement de logiciels ERP", "ERP-Softwareentwicklung"]),
    ("logistics", 3, [],
     ["5229", "5210"], "5229", "SG AE MY TH DE",
     ["cold chain logistics and freight forwarding",
      "โลจิสติกส์ห้องเย็นและการขนส่งสินค้า", "冷链物流和货运代理",
      "コールドチェーン物流と貨物輸送",
      "الخدمات اللوجستية المبردة وشحن البضائع",
      "logística de cadena de frío y transporte de carga",
      "dịch vụ logistics chuỗi lạnh và giao nhận hàng hóa",
      "logistik rantai dingin dan ekspedisi", "לוגיסטיקת שרשרת קירור ושילוח",
      "logistique du froid et transit de marchandises",
      "Kühlkettenlogistik und Spedition"]),
]

# (country, weight, native languages, probability of also listing "en",
#  company name style)
COUNTRIES = [
    ("TH", 10, ["th"], 0.6, "th"), ("CN", 11, ["zh"], 0.5, "zh"),
    ("VN", 7, ["vi"], 0.5, "vi"), ("IN", 7, ["hi"], 1.0, "in"),
    ("ID", 6, ["id"], 0.5, "id"), ("MY", 5, ["ms"], 1.0, "ms"),
    ("JP", 5, ["ja"], 0.5, "ja"), ("KR", 4, ["ko"], 1.0, "ko"),
    ("PH", 3, ["tl"], 1.0, "en"), ("SG", 2, ["en"], 1.0, "sg"),
    ("TW", 2, ["zh"], 0.5, "zh"), ("HK", 1.5, ["zh"], 0.7, "zh"),
    ("BD", 2, ["bn"], 1.0, "en"), ("PK", 1.5, ["ur"], 1.0, "en"),
    ("LK", 1, ["si"], 1.0, "en"), ("KH", 1, ["km"], 1.0, "en"),
    ("AE", 3, ["ar"], 0.95, "ar"), ("SA", 2, ["ar"], 0.7, "ar"),
    ("EG", 1.5, ["ar"], 0.6, "ar"), ("MA", 0.7, ["ar", "fr"], 0.4, "fr"),
    ("IL", 1.5, ["he"], 0.95, "he"), ("TR", 2, ["tr"], 1.0, "tr"),
    ("DE", 2.5, ["de"], 0.9, "de"), ("FR", 2, ["fr"], 0.7, "fr"),
    ("IT", 1.2, ["it"], 1.0, "it"), ("ES", 1.2, ["es"], 0.6, "es"),
    ("NL", 1, ["nl"], 1.0, "en"), ("PL", 0.8, ["pl"], 1.0, "en"),
    ("GB", 1.5, ["en"], 1.0, "en"), ("US", 3, ["en"], 1.0, "en"),
    ("MX", 1.5, ["es"], 0.5, "mx"), ("BR", 1.5, ["pt"], 1.0, "pt"),
    ("CL", 0.7, ["es"], 0.5, "es"), ("CO", 0.7, ["es"], 0.5, "es"),
    ("EC", 0.5, ["es"], 0.5, "es"), ("AU", 1.2, ["en"], 1.0, "au"),
    ("NG", 1.2, ["en"], 1.0, "en"), ("KE", 1, ["sw"], 1.0, "en"),
    ("ET", 0.5, ["am"], 1.0, "en"),
]

# Company name parts per style: (templates, roots, industry words).
NAMES = {
    "en": (["{r} {i} Ltd", "{r} {i} Co.", "{r} {i} Inc.", "{r} {i} LLC"],
           ["Pacific", "Golden", "Sunrise", "Evergreen", "Blue Ocean", "Summit",
            "Lotus", "Harbor", "Silverline", "Crescent", "Orchid", "Monsoon",
            "Coral", "Highland", "Atlas", "Meridian", "Northstar", "Greenfield"],
           ["Trading", "Foods", "Industries", "Exports", "Global", "Supply",
            "Ventures", "Holdings"]),
    "sg": (["{r} {i} Pte. Ltd."], ["Lion City", "Straits", "Marina", "Orchid",
            "Merlion", "Temasek", "Raffles"], ["Trading", "Logistics",
            "Holdings", "Technologies", "Resources"]),
    "au": (["{r} {i} Pty Ltd"], ["Southern Cross", "Coral Sea", "Outback",
            "Murray", "Kookaburra", "Eureka"], ["Trading", "Foods", "Exports",
            "Agri", "Resources"]),
    "in": (["{r} {i} Pvt. Ltd.", "{r} {i} Pvt. Ltd.", "{r} {i} LLP"],
           ["Shree Ganesh", "Surya", "Bharat", "Ganga", "Lakshmi", "Kaveri",
            "Himalaya", "Deccan"], ["Traders", "Industries", "Exports",
            "Agro", "Pharma", "Textiles"]),
    "hi": (["{r} {i} प्राइवेट लिमिटेड"],
           ["श्री गणेश", "सूर्या", "भारत", "गंगा", "लक्ष्मी", "हिमालय"],
           ["ट्रेडर्स", "इंडस्ट्रीज", "एक्सपोर्ट्स", "एग्रो"]),
    "th": (["บริษัท {r}{i} จำกัด", "บริษัท {r}{i} จำกัด (มหาชน)",
            "ห้างหุ้นส่วนจำกัด {r}{i}"],
           ["สยาม", "ไทยเจริญ", "รุ่งเรือง", "ศรีสุข", "เจริญผล", "มั่งมี",
            "ทองดี", "แสงทอง", "ชัยมงคล", "บางกอก"],
           ["เทรดดิ้ง", "อินเตอร์ฟู้ด", "อุตสาหกรรม", "เอ็กซ์ปอร์ต", "การเกษตร"]),
    "zh": (["{c}{r}{i}有限公司", "{c}{r}{i}股份有限公司"],
           ["华强", "宏达", "鑫源", "金龙", "恒通", "瑞丰", "永盛", "天成",
            "嘉禾", "新世纪"],
           ["贸易", "实业", "科技", "食品", "进出口", "电子"]),
    "ja": (["株式会社{r}{i}", "{r}{i}株式会社", "{r}{i}有限会社"],
           ["山田", "大和", "富士", "東洋", "三協", "日之出", "北辰", "青葉",
            "昭和", "みどり"],
           ["商事", "工業", "食品", "産業", "物産", "電機"]),
    "ko": (["{r}{i} 주식회사", "(주){r}{i}"],
           ["한빛", "대성", "동방", "미래", "태평양", "삼화", "우리", "세종"],
           ["무역", "산업", "식품", "전자", "상사"]),
    "ar": (["شركة {r} {i}", "مؤسسة {r} {i}"],
           ["الخليج", "النور", "الرياض", "الأمل", "الصحراء", "الفجر", "النخيل",
            "الهلال"],
           ["للتجارة", "للصناعات الغذائية", "للاستيراد والتصدير", "القابضة"]),
    "he": (['{r} {i} בע"מ'],
           ["גלבוע", "כרמל", "נגב", "שחר", "תבור", "ארבל", "גליל", "ערבה"],
           ["סחר", "תעשיות", "טכנולוגיות", "מזון", "יבוא ושיווק"]),
    "vi": (["Công ty TNHH {i} {r}", "Công ty Cổ phần {i} {r}"],
           ["Hoàng Long", "Phú Thịnh", "Minh Phát", "Thành Công", "An Khang",
            "Việt Tiến", "Sài Gòn Xanh", "Hải Đăng"],
           ["Thương mại", "Xuất nhập khẩu", "Thực phẩm", "Sản xuất"]),
    "id": (["PT {r} {i}", "CV {r} {i}"],
           ["Sinar Jaya", "Maju Bersama", "Cahaya Abadi", "Nusantara",
            "Sumber Rejeki", "Mitra Sejahtera", "Karya Mandiri", "Bintang Timur"],
           ["Indonesia", "Makmur", "Perkasa", "Sentosa", "Trading"]),
    "ms": (["{r} {i} Sdn. Bhd.", "{r} {i} Berhad"],
           ["Sinar Emas", "Harapan", "Mutiara", "Teguh", "Gemilang", "Setia",
            "Cahaya Timur"], ["Perdagangan", "Industri", "Trading", "Resources",
            "Agro"]),
    "es": (["{r} {i} S.A.", "{r} {i} S.L.", "{i} {r} S.A."],
           ["Andina", "Del Sol", "Hermanos García", "La Esperanza", "Pacífico",
            "Alborada", "Costa Verde", "Sierra Alta"],
           ["Comercial", "Alimentos", "Importaciones", "Industrias",
            "Exportadora"]),
    "mx": (["{i} {r} S.A. de C.V."],
           ["Azteca", "del Bajío", "Sierra Madre", "Maya", "Del Norte",
            "Jalisco"], ["Comercializadora", "Grupo", "Industrias",
            "Distribuidora"]),
    "pt": (["{i} {r} Ltda.", "{i} {r} S.A."],
           ["Bandeirantes", "Cruzeiro", "Boa Vista", "Horizonte", "Paulista",
            "Amazônia"], ["Comércio", "Indústria", "Alimentos", "Exportadora"]),
    "fr": (["{i} {r} SARL", "{i} {r} SAS", "{i} {r} S.A."],
           ["du Soleil", "Lumière", "Atlantique", "de Provence", "Beaulieu",
            "Méridien", "Saint-Clair"],
           ["Société", "Comptoir", "Établissements", "Groupe", "Maison"]),
    "de": (["{r} {i} GmbH", "{r} {i} AG", "{r} {i} GmbH & Co. KG"],
           ["Müller", "Schneider", "Nordwind", "Rheintal", "Alpen", "Bergmann",
            "Hansen", "Sonnenfeld"],
           ["Handels", "Technik", "Lebensmittel", "Maschinenbau", "Import"]),
    "it": (["{r} {i} S.r.l.", "{r} {i} S.p.A."],
           ["Bianchi", "Rossi", "Toscana", "Adriatica", "Lombarda", "Sole"],
           ["Commerciale", "Alimentari", "Industrie", "Export"]),
    "tr": (["{r} {i} A.Ş.", "{r} {i} Ltd. Şti."],
           ["Anadolu", "Yıldız", "Boğaziçi", "Ege", "Karadeniz", "Akdeniz"],
           ["Ticaret", "Gıda", "Sanayi", "Dış Ticaret"]),
}
_STYLE = {c[0]: c[4] for c in COUNTRIES}
ZH_CITIES = ["深圳", "广州", "上海", "宁波", "厦门", "义乌", "杭州", "青岛",
             "东莞", "成都", "台北", "香港"]

COOPERATION = [("trade", 10), ("distribution", 5), ("outsourcing", 2),
               ("licensing", 1.2), ("joint_venture", 1.5), ("investment", 1),
               ("financing", 0.5)]
SIZES = [("micro", 30), ("small", 42), ("medium", 20), ("large", 8)]
SIDES = [("buyer", 45), ("seller", 45), ("both", 10)]
# What producers need besides goods for resale: (family key, weight).
INPUTS = [("packaging", 5), ("foodmachinery", 4), ("logistics", 4),
          ("software", 3), ("robots", 1), ("pumps", 1), ("steel", 1),
          ("chips", 1), ("solar", 1.5), ("led", 0.5)]
BUYER_ISIC = ["4690", "4610", "4719", "4791"]
# Interpreter language pairs, most common first.
INTERPRETER_PAIRS = [("th", "en"), ("zh", "en"), ("vi", "en"), ("ja", "en"),
                     ("id", "en"), ("ar", "en"), ("ko", "en"), ("th", "zh"),
                     ("es", "en"), ("th", "ja"), ("fr", "en"), ("de", "en"),
                     ("pt", "en"), ("zh", "ja"), ("vi", "zh"), ("he", "en"),
                     ("tr", "en"), ("ms", "en"), ("zh", "ko"), ("ar", "fr")]


def isic_section(code):
    """The ISIC Rev.4 section letter of a 2-4 digit code."""
    d = int(code[:2])
    for hi, letter in ((3, "A"), (9, "B"), (33, "C"), (35, "D"), (39, "E"),
                       (43, "F"), (47, "G"), (53, "H"), (56, "I"), (63, "J"),
                       (66, "K"), (68, "L"), (75, "M"), (82, "N"), (84, "O"),
                       (85, "P"), (88, "Q"), (93, "R"), (96, "S"), (98, "T")):
        if d <= hi:
            return letter
    return "U"


class Picker:
    """Weighted choice by bisecting a cumulative table (fast, deterministic)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        self.items = [p[0] for p in pairs]
        self.cum = []
        t = 0.0
        for _, w in pairs:
            t += w
            self.cum.append(t)
        self.total = t

    def pick(self, rng):
        i = bisect.bisect_right(self.cum, rng.random() * self.total)
        # random() < 1, but float rounding could still reach the end.
        return self.items[i if i < len(self.items) else -1]

    def distinct(self, rng, k):
        """Up to k distinct items (rejection; k is small)."""
        k = min(k, len(self.items))
        out = []
        tries = 0
        while len(out) < k and tries < 8 * k + 8:
            x = self.pick(rng)
            if x not in out:
                out.append(x)
            tries += 1
        return out


class Model:
    """The static tables, prepared once."""

    def __init__(self):
        self.families = FAMILIES
        self.country_info = {c[0]: c for c in COUNTRIES}
        self.country_picker = Picker([(c[0], c[1]) for c in COUNTRIES])
        self.all_countries = [c[0] for c in COUNTRIES]
        # Popularity: the table weights, sharpened (Zipf-like skew).
        pop = [(i, f[1] ** 1.6) for i, f in enumerate(FAMILIES)]
        self.family_picker = Picker(pop)
        # Sellers favour the families their country produces.
        self.seller_family = {}
        for c in self.all_countries:
            self.seller_family[c] = Picker(
                [(i, w * (6.0 if c in FAMILIES[i][5].split() else 1.0))
                 for i, w in pop])
        self.goods = [i for i, f in enumerate(FAMILIES) if f[2]]
        self.top_goods = sorted(self.goods, key=lambda i: -FAMILIES[i][1])[:14]
        self.hs_pickers = [Picker(f[2]) if f[2] else None for f in FAMILIES]
        # Less common 6-digit codes for planted pairs: all but the most
        # weighted code of a family when it has several.
        self.rare_codes = []
        for f in FAMILIES:
            codes = sorted(f[2], key=lambda cw: -cw[1])
            self.rare_codes.append([c for c, _ in (codes[1:] or codes)])
        keys = [f[0] for f in FAMILIES]
        self.input_picker = Picker(
            [(keys.index(k), w) for k, w in INPUTS])
        self.coop = Picker(COOPERATION)
        self.size = Picker(SIZES)
        self.side = Picker(SIDES)


def text_lang(langs):
    """The language a participant writes in: its first with a phrasebook."""
    for lang in langs:
        if lang in LANG_INDEX:
            return lang
    return "en"


def make_languages(rng, m, country):
    info = m.country_info[country]
    natives = list(info[2])
    langs = [natives[0]]
    if len(natives) > 1 and rng.random() < 0.8:
        langs.append(natives[1])
    if country == "MY" and rng.random() < 0.3:
        langs.append("zh")
    if country == "US" and rng.random() < 0.1:
        langs.append("es")
    has_text = any(lang in LANG_INDEX for lang in langs)
    if "en" not in langs and (not has_text or rng.random() < info[3]):
        langs.append("en")
    if rng.random() < 0.05:
        extra = rng.choice(["zh", "ja", "fr", "es", "ar", "de", "th"])
        if extra not in langs:
            langs.append(extra)
    return langs


def make_company(rng, country):
    style = _STYLE[country]
    if style == "in" and rng.random() < 0.2:
        style = "hi"
    templates, roots, inds = NAMES[style]
    t = rng.choice(templates)
    name = t.format(r=rng.choice(roots), i=rng.choice(inds),
                    c=rng.choice(ZH_CITIES) if style == "zh" else "")
    if rng.random() < 0.3:
        # A short alphanumeric brand keeps names from colliding too often.
        name += " " + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
                              for _ in range(2)) + str(rng.randrange(1, 100))
    return name


def hs_at_level(rng, code):
    r = rng.random()
    if r < 0.60:
        return code
    if r < 0.90:
        return code[:4]
    return code[:2]


def make_item(rng, m, fam, lang):
    """One offers/needs item of a family in the writer's language."""
    f = FAMILIES[fam]
    phrase = f[6][LANG_INDEX[lang]]
    if not f[2]:
        return {"text": phrase}
    code = hs_at_level(rng, m.hs_pickers[fam].pick(rng))
    r = rng.random()
    if r < 0.55:
        return {"code": code, "text": phrase}
    if r < 0.85:
        return {"code": code}
    return {"text": phrase}


def make_items(rng, m, fams, lang):
    out = []
    seen = set()
    for fam in fams:
        it = make_item(rng, m, fam, lang)
        key = (it.get("code"), it.get("text"))
        if key not in seen:
            seen.add(key)
            out.append(it)
    return out


def make_sectors(rng, fams, buyerish):
    out = []
    for fam in fams[:3]:
        f = FAMILIES[fam]
        code = rng.choice(f[3])
        if buyerish and rng.random() < 0.6:
            code = f[4]
        r = rng.random()
        if r < 0.6:
            s = code            # class
        elif r < 0.72:
            s = code[:3]        # group
        elif r < 0.86:
            s = code[:2]        # division
        else:
            s = isic_section(code)
        if s not in out:
            out.append(s)
    if buyerish and rng.random() < 0.3:
        s = rng.choice(BUYER_ISIC)
        if s not in out:
            out.append(s)
    return out


def make_markets(rng, m, k):
    out = []
    for _ in range(k):
        c = m.country_picker.pick(rng)
        if c not in out:
            out.append(c)
    return out


def make_slots(rng, slot_ids):
    """None (free in all) or an ordered subset of the event's slots."""
    r = rng.random()
    if r < 0.6 or not slot_ids:
        return None
    n = len(slot_ids)
    days = (n + len(SLOTS_PER_DAY_TIMES) - 1) // len(SLOTS_PER_DAY_TIMES)
    if r < 0.8 and days > 1:
        d = rng.randrange(days)
        per = len(SLOTS_PER_DAY_TIMES)
        return slot_ids[d * per:(d + 1) * per]
    keep = max(1, int(n * (0.3 + 0.6 * rng.random())))
    idx = sorted(rng.sample(range(n), keep))
    return [slot_ids[i] for i in idx]


def make_profile(rng, m, event, pid, slot_ids, star=False):
    side = "seller" if star else m.side.pick(rng)
    country = m.country_picker.pick(rng)
    langs = make_languages(rng, m, country)
    lang = text_lang(langs)
    size = "large" if star else m.size.pick(rng)
    p = {"event": event, "id": pid, "side": side,
         "company": make_company(rng, country), "country": country,
         "languages": langs}
    sells = side in ("seller", "both")
    buys = side in ("buyer", "both")
    if star:
        offer_fams = m.top_goods[:]
        rng.shuffle(offer_fams)
        offer_fams = offer_fams[:8 + rng.randrange(7)]
        need_fams = [m.family_picker.pick(rng)]
    else:
        picker = m.seller_family[country] if sells else m.family_picker
        n_main = 1 + (rng.random() < 0.35) + (rng.random() < 0.12)
        main = picker.distinct(rng, n_main)
        if sells:
            offer_fams = main
            if buys:
                need_fams = m.family_picker.distinct(rng, 1 + (rng.random() < 0.3))
            elif rng.random() < 0.5:
                need_fams = [m.input_picker.pick(rng)]
            else:
                need_fams = []
        else:
            need_fams = main
            offer_fams = (m.family_picker.distinct(rng, 1)
                          if rng.random() < 0.3 else [])
    p["sectors"] = make_sectors(rng, offer_fams or need_fams, not sells)
    offers = make_items(rng, m, offer_fams, lang)
    if star:
        # Stars list several codes per family: they look good to everyone.
        for fam in offer_fams[:6]:
            if FAMILIES[fam][2]:
                offers.append({"code": FAMILIES[fam][2][0][0][:4]})
    needs = make_items(rng, m, need_fams, lang)
    if offers or rng.random() < 0.5:
        p["offers"] = offers
    if needs or rng.random() < 0.5:
        p["needs"] = needs
    if rng.random() < 0.8:
        p["cooperation"] = m.coop.distinct(rng, 1 + (rng.random() < 0.4)
                                           + (rng.random() < 0.1))
    k = 8 + rng.randrange(8) if star else rng.choice((0, 0, 1, 1, 2, 3, 4, 6))
    if k:
        p["markets"] = make_markets(rng, m, k)
    if star or rng.random() < 0.9:
        p["size"] = size
    slots = None if star else make_slots(rng, slot_ids)
    if slots is not None:
        p["slots"] = slots
    if rng.random() < 0.3 and not star:
        p["max_meetings"] = rng.choice((0, 2, 3, 4, 4, 5, 6, 6, 8, 10, 12))
    return p


def plan_pair(rng, m, slot_ids):
    """The shared description of one planted pair."""
    f1, f2 = rng.sample(m.goods, 2)
    ca = m.country_picker.pick(rng)
    cb = m.country_picker.pick(rng)
    la = make_languages(rng, m, ca)
    lb = make_languages(rng, m, cb)
    ta, tb = text_lang(la), text_lang(lb)
    # A language both speak, with a phrasebook: A's or B's writing language.
    if ta in lb:
        lang = ta
    elif tb in la:
        lang = tb
    else:
        lang = ta if rng.random() < 0.5 else tb
        for langs in (la, lb):
            if lang not in langs:
                langs.append(lang)
    coop = m.coop.pick(rng)
    slots = make_slots(rng, slot_ids)
    if slots is not None and len(slots) < 4:
        slots = None
    return {"f1": f1, "f2": f2, "h1": rng.choice(m.rare_codes[f1]),
            "h2": rng.choice(m.rare_codes[f2]), "ca": ca, "cb": cb,
            "la": la, "lb": lb, "lang": lang, "coop": coop, "slots": slots}


def make_planted(rng, m, event, pid, spec, role):
    """Member `role` ("a" buyer, "b" seller) of a planted pair."""
    a = role == "a"
    country = spec["ca"] if a else spec["cb"]
    other = spec["cb"] if a else spec["ca"]
    lang = spec["lang"]
    t1 = FAMILIES[spec["f1"]][6][LANG_INDEX[lang]]
    t2 = FAMILIES[spec["f2"]][6][LANG_INDEX[lang]]
    item1 = {"code": spec["h1"], "text": t1}   # A needs, B offers
    item2 = {"code": spec["h2"], "text": t2}   # B needs, A offers
    fam_own = spec["f2"] if a else spec["f1"]
    p = {"event": event, "id": pid, "side": "buyer" if a else "seller",
         "company": make_company(rng, country), "country": country,
         "languages": list(spec["la"] if a else spec["lb"])}
    p["sectors"] = make_sectors(rng, [fam_own], False)
    p["offers"] = [item2] if a else [item1]
    p["needs"] = [item1] if a else [item2]
    coop = [spec["coop"]]
    if rng.random() < 0.4:
        c = m.coop.pick(rng)
        if c not in coop:
            coop.append(c)
    p["cooperation"] = coop
    markets = [other]
    for c in make_markets(rng, m, rng.randrange(3)):
        if c not in markets:
            markets.append(c)
    p["markets"] = markets
    p["size"] = m.size.pick(rng)
    if spec["slots"] is not None:
        p["slots"] = list(spec["slots"])
    return p


def make_event(rng, event, n_slots, tables, n_participants):
    slots = []
    per = len(SLOTS_PER_DAY_TIMES)
    base = datetime.date(*BASE_DATE)
    for i in range(n_slots):
        day, k = divmod(i, per)
        hhmm = SLOTS_PER_DAY_TIMES[k]
        h, mi = int(hhmm[:2]), int(hhmm[2:])
        eh, em = (h, mi + 30) if mi == 0 else (h + 1, 0)
        date = (base + datetime.timedelta(days=day)).isoformat()
        slots.append({"id": "d%d-%s" % (day + 1, hhmm),
                      "start": "%sT%02d:%02d:00" % (date, h, mi),
                      "end": "%sT%02d:%02d:00" % (date, eh, em)})
    n_int = max(2, min(200, n_participants // 250))
    interpreters = []
    counts = {}
    for i in range(n_int):
        # Common pairs first, then repeats of the most common ones.
        pair = INTERPRETER_PAIRS[i] if i < len(INTERPRETER_PAIRS) else \
            INTERPRETER_PAIRS[rng.randrange(8)]
        counts[pair] = counts.get(pair, 0) + 1
        interpreters.append({"id": "int-%s-%s-%d" % (pair[0], pair[1],
                                                     counts[pair]),
                             "languages": [pair[0], pair[1]]})
    return {"event": event, "name": "Synthetic SME Expo %s" % event,
            "slots": slots, "tables": tables, "interpreters": interpreters,
            "meeting_minutes": 30, "timezone": "Asia/Bangkok"}


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def generate(seed, participants, event=None, n_slots=28, tables=None,
             planted=None, out=None):
    """Writes the three files into `out`; returns (event, number of pairs)."""
    if participants < 0:
        raise ValueError("--participants must be >= 0")
    if n_slots < 1 or n_slots > 14 * 28:
        raise ValueError("--slots must be 1..392 (at most 28 days)")
    event = event or "synth-%d" % seed
    if planted is None:
        planted = min(2000, participants // 50)
    if planted < 0 or 2 * planted > participants:
        raise ValueError("--planted-pairs needs 2 participants per pair")
    if tables is None:
        tables = max(10, (participants + 9) // 10)
    m = Model()
    erng = random.Random("event/%d" % seed)
    prng = random.Random("planted/%d" % seed)
    rng = random.Random("participants/%d" % seed)
    ev = make_event(erng, event, n_slots, tables, participants)
    slot_ids = [s["id"] for s in ev["slots"]]
    width = max(6, len(str(max(participants - 1, 0))))
    ids = lambda i: "p%0*d" % (width, i)  # noqa: E731
    # Planted pairs: which indexes, and what each pair shares.
    where = prng.sample(range(participants), 2 * planted)
    roles = {}
    specs = []
    pairs = []
    for k in range(planted):
        ia, ib = where[2 * k], where[2 * k + 1]
        roles[ia] = (k, "a")
        roles[ib] = (k, "b")
        specs.append(plan_pair(prng, m, slot_ids))
        pairs.append((ids(ia), ids(ib)))
    # Stars: about 0.3% of participants, at least one from 50 on.
    n_star = participants * 3 // 1000 + (1 if participants >= 50 else 0)
    stars = set()
    free = [i for i in prng.sample(range(participants),
                                   min(participants, n_star + 2 * planted))
            if i not in roles]
    stars.update(free[:n_star])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "event.json"), "w", encoding="utf-8",
              newline="\n") as f:
        f.write(json.dumps(ev, ensure_ascii=False, indent=1) + "\n")
    with open(os.path.join(out, "participants.jsonl"), "w", encoding="utf-8",
              newline="\n") as f:
        buf = []
        for i in range(participants):
            pid = ids(i)
            if i in roles:
                k, role = roles[i]
                p = make_planted(rng, m, event, pid, specs[k], role)
            else:
                p = make_profile(rng, m, event, pid, slot_ids, star=i in stars)
            buf.append(dumps(p))
            if len(buf) >= 2048:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    with open(os.path.join(out, "planted.jsonl"), "w", encoding="utf-8",
              newline="\n") as f:
        for a, b in pairs:
            f.write(dumps({"a": a, "b": b}) + "\n")
    return event, planted


# ---------------------------------------------------------------- loader

class RpcFailure(Exception):
    pass


def is_loopback(host):
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise RpcFailure("cannot resolve %s: %s" % (host, e))
    for info in infos:
        addr = info[4][0].split("%")[0]
        if not ipaddress.ip_address(addr).is_loopback:
            return False
    return bool(infos)


class PipelinedClient:
    """MessagePack-RPC over one TCP connection, up to `depth` requests in
    flight; replies come back in request order (the contract says so) and
    are checked by msgid anyway."""

    def __init__(self, host, port, depth, timeout=60.0):
        import msgpack
        self.msgpack = msgpack
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.packer = msgpack.Packer(use_bin_type=True)
        self.depth = max(1, depth)
        self.next_id = 1
        self.inflight = {}      # msgid -> description
        self.out = bytearray()

    def close(self):
        self.sock.close()

    def _reply(self):
        while True:
            for msg in self.unpacker:
                if not isinstance(msg, list) or not msg:
                    raise RpcFailure("not a MessagePack-RPC message: %r" % (msg,))
                if msg[0] == 2:
                    continue        # a notification: not ours to handle
                if msg[0] != 1 or len(msg) != 4:
                    raise RpcFailure("bad response: %r" % (msg,))
                return msg
            data = self.sock.recv(1 << 20)
            if not data:
                raise RpcFailure("server closed the connection with %d "
                                 "requests in flight" % len(self.inflight))
            self.unpacker.feed(data)

    def _take_one(self):
        _, msgid, error, result = self._reply()
        what = self.inflight.pop(msgid, None)
        if what is None:
            raise RpcFailure("reply to unknown msgid %r" % (msgid,))
        if error is not None:
            raise RpcFailure("%s failed: %r" % (what, error))
        return result

    def flush(self):
        if self.out:
            self.sock.sendall(self.out)
            self.out.clear()

    def send(self, method, args, what=None):
        """Queue a request; waits for replies while `depth` are in flight."""
        while len(self.inflight) >= self.depth:
            self.flush()
            self._take_one()
        msgid = self.next_id
        self.next_id = (self.next_id % 0xFFFFFFFF) + 1
        self.out += self.packer.pack([0, msgid, method, [args]])
        self.inflight[msgid] = what or method
        if len(self.out) >= 65536:
            self.flush()

    def drain(self):
        self.flush()
        while self.inflight:
            self._take_one()

    def call(self, method, args):
        self.drain()
        self.send(method, args)
        self.flush()
        return self._take_one()


def load(args):
    if not is_loopback(args.host):
        print("gen_expo.py load: %s is not a loopback address" % args.host,
              file=sys.stderr)
        return 2
    with open(args.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    with open(os.path.join(args.dir, "event.json"), encoding="utf-8") as f:
        event = json.load(f)
    if importlib.util.find_spec("msgpack") is None:
        print("gen_expo.py load: needs python3-msgpack (apt install "
              "python3-msgpack)", file=sys.stderr)
        return 2
    try:
        c = PipelinedClient(args.host, args.port, args.pipeline)
        try:
            c.call("auth", {"token": token})
            c.call("event.put", event)
            n = 0
            t0 = time.monotonic()
            with open(os.path.join(args.dir, "participants.jsonl"),
                      encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    p = json.loads(line)
                    c.send("profile.put", p, "profile.put %s" % p.get("id"))
                    n += 1
            c.drain()
            dt = time.monotonic() - t0
        finally:
            c.close()
    except (RpcFailure, OSError) as e:
        print("gen_expo.py load: %s" % e, file=sys.stderr)
        return 1
    rate = n / dt if dt > 0 else float("inf")
    print("loaded event %s: %d profile.put in %.2f s, %.0f puts/s "
          "(pipeline %d)" % (event.get("event"), n, dt, rate, args.pipeline))
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "load":
        ap = argparse.ArgumentParser(prog="gen_expo.py load",
                                     description="Put a generated expo into "
                                     "a running expomatchd (loopback only).")
        ap.add_argument("--port", type=int, required=True)
        ap.add_argument("--token-file", required=True)
        ap.add_argument("--dir", required=True)
        ap.add_argument("--host", default="127.0.0.1")
        ap.add_argument("--pipeline", type=int, default=64)
        return load(ap.parse_args(argv[1:]))
    if argv and argv[0] == "gen":
        argv = argv[1:]
    ap = argparse.ArgumentParser(prog="gen_expo.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--participants", type=int, required=True)
    ap.add_argument("--event", default=None,
                    help="event id (default synth-SEED)")
    ap.add_argument("--slots", type=int, default=28,
                    help="30-minute slots, 14 a day (default 28)")
    ap.add_argument("--tables", type=int, default=None,
                    help="table count (default participants/10, at least 10)")
    ap.add_argument("--planted-pairs", type=int, default=None,
                    help="default participants/50, at most 2000")
    ap.add_argument("--out", default=None,
                    help="output directory (default ./expo-SEED-PARTICIPANTS)")
    a = ap.parse_args(argv)
    if a.event is not None and not (
            1 <= len(a.event) <= 64 and all(
                ch.isascii() and (ch.isalnum() or ch in "_.-") for ch in a.event)):
        ap.error("--event: 1-64 characters of A-Za-z0-9_.-")
    if a.tables is not None and a.tables < 1:
        ap.error("--tables must be >= 1")
    out = a.out or "expo-%d-%d" % (a.seed, a.participants)
    t0 = time.monotonic()
    try:
        event, pairs = generate(a.seed, a.participants, a.event, a.slots,
                                a.tables, a.planted_pairs, out)
    except ValueError as e:
        ap.error(str(e))
    print("wrote %s: event %s, %d participants, %d planted pairs in %.1f s"
          % (out, event, a.participants, pairs, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
