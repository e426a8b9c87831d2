"""The demo: a Shanghai 3PL distribution centre and a Suzhou plant warehouse, three owners, about 200 SKUs,
about 2,000 locations in aisles and opening stock, so a new user has something real to click through.

Everything is generated from a fixed seed; only dates move with the day of loading (pass ``today`` to pin them),
so "near expiry" always means near expiry. Warehouses are created through the master-data service, which gives
them their virtual locations; the bulk of the master data is inserted set-based in one transaction after passing
the same domain checks the services apply; opening stock is posted through the stock service, one posting per
warehouse, so it reaches the ledger like any go-live load.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.domain.inbound import ReceiptType
from stockyard.domain.master import (
    BarcodeKind,
    ContainerKind,
    LocationKind,
    Pack,
    PackLevel,
    StorageCondition,
    ZoneKind,
    check_gtin,
    check_packs,
    check_sscc,
    check_unit,
    gs1_check_digit,
)
from stockyard.domain.putaway import Policy
from stockyard.domain.stock import LocationStatus, StockStatus, check_serial
from stockyard.services import masterdata as md
from stockyard.services import orders, putaway, receipts, waves
from stockyard.services.stock import StockLine, post_opening_stock

SEED = 20240917
DEMO_USER = replace(SYSTEM, name="demo")

Progress = Callable[[str], None]
Row = dict[str, Any]

D = Decimal
CENT = D("0.01")
MILLI = D("0.001")
ZERO = D(0)
MICRO = D("0.000001")


def has_data(db: Database) -> bool:
    """True once any warehouse exists: the demo is meant for an empty database."""
    return db.read(lambda conn: conn.execute(select(t.warehouse.c.id).limit(1)).first() is not None)


# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Rack:
    """A block of parallel aisles; every location is one position on one level of one bay."""

    zone: str
    prefix: str
    aisles: int
    bays: int
    levels: int
    positions: int
    kind: LocationKind
    x0: Decimal  # centre line of the first aisle, where a picker walks
    y0: Decimal  # start of the first bay
    max_volume: Decimal
    max_weight: Decimal
    max_units: Decimal | None
    max_pallets: int | None
    mix_skus: bool = False
    mix_lots: bool = True
    floor_weight: Decimal | None = None  # level 1 stands on the floor and carries more


@dataclass(frozen=True)
class Line:
    """A row of single locations: dock doors, lanes, stations."""

    zone: str
    prefix: str
    count: int
    kind: LocationKind
    x0: Decimal
    y0: Decimal
    dx: Decimal
    max_volume: Decimal | None = None
    max_weight: Decimal | None = None
    max_pallets: int | None = None


@dataclass(frozen=True)
class Site:
    key: str
    code: str
    name: str
    address: Row
    zones: Sequence[tuple[str, str, ZoneKind]]
    racks: Sequence[Rack]
    lines: Sequence[Line]
    pick_zone: str
    blocked: int


AISLE_PITCH = D("3.0")  # centre to centre: a 1.1 m rack back to back plus a 1.9 m aisle
BAY_WIDTH = D("1.2")

SITES: tuple[Site, ...] = (
    Site(
        "SH", "SH-DC1", "Shanghai Waigaoqiao 3PL Distribution Centre (上海外高桥物流中心)",
        {"country": "CN", "province": "Shanghai", "city": "Shanghai", "district": "Pudong New Area",
         "street": "88 Jilong Road, Waigaoqiao Free Trade Zone", "postal_code": "200131"},
        (("RCV", "Inbound receiving (收货区)", ZoneKind.RECEIVING),
         ("QC", "Quality inspection (质检区)", ZoneKind.QC),
         ("RSV", "High-bay reserve racking (高位货架存储区)", ZoneKind.STORAGE),
         ("PCK", "Shelf picking (拆零拣货区)", ZoneKind.PICKING),
         ("PAK", "Packing stations (打包区)", ZoneKind.PACKING),
         ("STG", "Outbound staging (集货暂存区)", ZoneKind.STAGING),
         ("SHP", "Shipping docks (发货区)", ZoneKind.SHIPPING),
         ("RET", "Returns processing (退货处理区)", ZoneKind.RETURNS)),
        (Rack("PCK", "P", 5, 12, 4, 2, LocationKind.PICK_FACE, D("46.5"), D("22.0"), D("0.14"), D("80"),
              D("600"), 0),
         Rack("RSV", "A", 8, 12, 4, 2, LocationKind.STORAGE, D("4.5"), D("22.0"), D("1.8"), D("1000"), None, 1,
              mix_lots=False, floor_weight=D("1500"))),
        (Line("RCV", "DOCK-I", 8, LocationKind.DOCK, D("4"), D("0"), D("4"), max_pallets=24),
         Line("QC", "QC-", 6, LocationKind.QC, D("4"), D("9"), D("3"), D("8"), D("4000"), 4),
         Line("RET", "RET-", 4, LocationKind.RETURNS, D("24"), D("9"), D("3"), D("8"), D("4000"), 4),
         Line("PAK", "PACK-", 12, LocationKind.PACKING, D("44"), D("14"), D("2.5"), D("2"), D("300")),
         Line("STG", "STAGE-", 16, LocationKind.STAGING, D("42"), D("6"), D("2"), max_pallets=6),
         Line("SHP", "DOCK-O", 8, LocationKind.SHIPPING, D("44"), D("0"), D("4"), max_pallets=24)),
        pick_zone="PCK", blocked=5,
    ),
    Site(
        "SZ", "SZ-PW1", "Suzhou Industrial Park Plant Warehouse (苏州工业园区工厂仓)",
        {"country": "CN", "province": "Jiangsu", "city": "Suzhou", "district": "Suzhou Industrial Park",
         "street": "15 Xinghu Street", "postal_code": "215021"},
        (("RCV", "Goods receipt (收货区)", ZoneKind.RECEIVING),
         ("QC", "Incoming quality control (来料检验区)", ZoneKind.QC),
         ("RMS", "Raw material racking (原材料货架区)", ZoneKind.STORAGE),
         ("BLK", "Coil and bar floor storage (钢卷棒材地堆区)", ZoneKind.STORAGE),
         ("FGS", "Finished goods racking (成品货架区)", ZoneKind.STORAGE),
         ("HAZ", "Hazardous chemicals store (危化品库)", ZoneKind.STORAGE),
         ("LSP", "Line-side supermarket (线边超市)", ZoneKind.PICKING),
         ("PAK", "Packing (包装区)", ZoneKind.PACKING),
         ("STG", "Dispatch staging (发货暂存区)", ZoneKind.STAGING),
         ("SHP", "Loading bays (装车区)", ZoneKind.SHIPPING),
         ("RET", "Returns and non-conforming material (退货不合格品区)", ZoneKind.RETURNS)),
        (Rack("LSP", "L", 2, 10, 4, 2, LocationKind.PICK_FACE, D("40.5"), D("20.0"), D("0.1"), D("60"),
              D("2000"), 0),
         Rack("RMS", "R", 5, 10, 3, 2, LocationKind.STORAGE, D("4.5"), D("20.0"), D("1.8"), D("1000"), None, 1,
              floor_weight=D("1500")),
         Rack("FGS", "F", 3, 10, 3, 2, LocationKind.STORAGE, D("22.5"), D("20.0"), D("1.8"), D("1000"), None, 1),
         Rack("BLK", "B", 2, 12, 1, 2, LocationKind.STORAGE, D("4.5"), D("36.0"), D("3.0"), D("15000"), None, None,
              mix_lots=True),
         # A separate fire compartment with its own bund: flammable liquids never share a rack with the rest.
         Rack("HAZ", "H", 1, 10, 2, 2, LocationKind.STORAGE, D("52.5"), D("20.0"), D("1.8"), D("1000"), None, 1,
              floor_weight=D("1500"))),
        (Line("RCV", "DOCK-I", 4, LocationKind.DOCK, D("4"), D("0"), D("5"), max_pallets=24),
         Line("QC", "QC-", 4, LocationKind.QC, D("4"), D("9"), D("3"), D("8"), D("6000"), 4),
         Line("RET", "RET-", 4, LocationKind.RETURNS, D("18"), D("9"), D("3"), D("8"), D("6000"), 4),
         Line("PAK", "PACK-", 4, LocationKind.PACKING, D("30"), D("12"), D("3"), D("2"), D("500")),
         Line("STG", "STAGE-", 8, LocationKind.STAGING, D("30"), D("6"), D("2.5"), max_pallets=6),
         Line("SHP", "DOCK-O", 4, LocationKind.SHIPPING, D("30"), D("0"), D("5"), max_pallets=24)),
        pick_zone="LSP", blocked=3,
    ),
)


@dataclass
class Slot:
    """A location being planned; ``used_*`` track what the opening stock already puts there."""

    site: str
    zone: str
    code: str
    kind: LocationKind
    row: Row
    blocked: bool = False
    used_volume: Decimal = ZERO
    used_weight: Decimal = ZERO
    used_units: Decimal = ZERO
    skus: set[str] = field(default_factory=set)


def _layout(site: Site, rng: random.Random) -> list[Slot]:
    slots: list[Slot] = []
    sequence = 0
    aisle_turn = 0  # counts aisles across racks, so the serpentine continues from one block to the next
    for rack in site.racks:
        for a in range(1, rack.aisles + 1):
            aisle = f"{rack.prefix}{a:02d}"
            x = rack.x0 + (a - 1) * AISLE_PITCH
            bays = range(1, rack.bays + 1) if aisle_turn % 2 == 0 else range(rack.bays, 0, -1)
            aisle_turn += 1
            for b in bays:
                for p in (range(1, rack.positions + 1) if bays.step > 0 else range(rack.positions, 0, -1)):
                    y = rack.y0 + (b - 1) * BAY_WIDTH + (D(p) - D("0.5")) * BAY_WIDTH / rack.positions
                    for level in range(1, rack.levels + 1):
                        sequence += 1
                        weight = rack.floor_weight if level == 1 and rack.floor_weight else rack.max_weight
                        code = f"{aisle}-{b:02d}-{level}-{p}"
                        slots.append(Slot(site.key, rack.zone, code, rack.kind, {
                            "code": code, "kind": rack.kind.value, "aisle": aisle, "bay": f"{b:02d}",
                            "level": str(level), "position": str(p), "x": x.quantize(CENT),
                            "y": y.quantize(CENT), "pick_sequence": sequence, "max_volume": rack.max_volume,
                            "max_weight": weight, "max_units": rack.max_units, "max_pallets": rack.max_pallets,
                            "mix_skus": rack.mix_skus, "mix_lots": rack.mix_lots}))
    # A bent beam or a sprinkler repair takes a few positions above the floor out of use.
    racked = [s for s in slots if s.row["level"] != "1" and s.kind is LocationKind.STORAGE]
    for slot in rng.sample(racked, site.blocked):
        slot.blocked = True
    for line in site.lines:
        for i in range(1, line.count + 1):
            code = f"{line.prefix}{i:02d}"
            slots.append(Slot(site.key, line.zone, code, line.kind, {
                "code": code, "kind": line.kind.value, "aisle": None, "bay": None, "level": None,
                "position": None, "x": (line.x0 + (i - 1) * line.dx).quantize(CENT), "y": line.y0.quantize(CENT),
                "pick_sequence": None, "max_volume": line.max_volume, "max_weight": line.max_weight,
                "max_units": None, "max_pallets": line.max_pallets, "mix_skus": True, "mix_lots": True}))
    for slot in slots:
        if slot.code.startswith("@"):
            raise AssertionError("codes starting with '@' are reserved for virtual locations")
        slot.row["status"] = (LocationStatus.BLOCKED if slot.blocked else LocationStatus.ACTIVE).value
    return slots


# ---------------------------------------------------------------- owners and their catalogues


@dataclass(frozen=True)
class Owner:
    key: str
    code: str
    name: str
    contact: Row
    gs1_prefix: str  # 7-digit GS1 company prefix: with a 5-digit item reference it makes a GTIN-13
    site: str
    suppliers: Sequence[tuple[str, str, str]]  # code, name, city
    customers: Sequence[tuple[str, str, str]]


OWNERS: tuple[Owner, ...] = (
    Owner("BH", "BRIGHTHOME", "Brighthome Consumer Goods Co., Ltd. (明家日用品有限公司)",
          {"name": "Li Na (李娜)", "phone": "+86 21 5550 0101", "email": "ops@brighthome.example"},
          "6921734", "SH",
          (("LXDC", "Lanxi Daily Chemical Co. (兰溪日化)", "Jinhua"),
           ("BYPP", "Guangzhou Baiyun Paper Products (白云纸业)", "Guangzhou"),
           ("WCRC", "Wuchang Rice Cooperative (五常大米合作社)", "Harbin"),
           ("AXTG", "Anxi Tea Garden (安溪茶园)", "Quanzhou"),
           ("NBFD", "Ningbo Foods Co. (宁波食品)", "Ningbo")),
          (("TMALL", "Online store - Tmall flagship (天猫旗舰店)", "Shanghai"),
           ("JDPOP", "Online store - JD flagship (京东旗舰店)", "Shanghai"),
           ("HDSM-KS", "Huadong Supermarkets DC Kunshan (华东超市昆山配送中心)", "Kunshan"),
           ("XHCS", "Xinhua Convenience Stores (新华便利店)", "Hangzhou"),
           ("YWWH", "Yiwu Wholesale Market Stall 318 (义乌小商品市场)", "Yiwu"),
           ("BBMART", "Bubu Baby & Mother Stores (步步母婴店)", "Nanjing"))),
    Owner("VT", "VOLTEK", "Voltek Electronics Co., Ltd. (沃泰电子有限公司)",
          {"name": "Chen Hao (陈浩)", "phone": "+86 755 5550 0202", "email": "scm@voltek.example"},
          "6937512", "SH",
          (("LGEA", "Longgang Electronics Assembly (龙岗电子组装厂)", "Shenzhen"),
           ("DGCC", "Dongguan Cable & Connector Works (东莞线缆厂)", "Dongguan"),
           ("HZBT", "Huizhou Battery Technology (惠州电池科技)", "Huizhou")),
          (("VTEXP-SH", "Voltek Experience Store Nanjing Road (沃泰南京路体验店)", "Shanghai"),
           ("DPNJ", "Digital Plaza Nanjing (南京数码广场)", "Nanjing"),
           ("JSTEL", "Jiangsu Telecom Retail (江苏电信营业厅)", "Nanjing"),
           ("DOUYIN", "Online store - Douyin (抖音旗舰店)", "Shanghai"),
           ("HZKJ", "Hangzhou Campus Tech Shops (杭州校园数码)", "Hangzhou"))),
    Owner("HX", "HUAXIN", "Huaxin Precision Manufacturing Co., Ltd. (华信精密制造有限公司)",
          {"name": "Wang Jun (王军)", "phone": "+86 512 5550 0303", "email": "logistics@huaxin.example"},
          "6975128", "SZ",
          (("JYSS", "Jiangyin Steel Service Centre (江阴钢材加工中心)", "Jiangyin"),
           ("CZFT", "Changzhou Fastener Co. (常州紧固件)", "Changzhou"),
           ("WXBR", "Wuxi Bearing Works (无锡轴承厂)", "Wuxi"),
           ("KSCM", "Kunshan Chemical Materials (昆山化工材料)", "Kunshan"),
           ("SZCB", "Suzhou Cable Co. (苏州电缆)", "Suzhou")),
          (("NBAE", "Ningbo Automation Equipment (宁波自动化设备)", "Ningbo"),
           ("SHPM", "Shanghai Packaging Machinery (上海包装机械)", "Shanghai"),
           ("WXRB", "Wuxi Robotics (无锡机器人)", "Wuxi"),
           ("HFCNC", "Hefei CNC Machine Tools (合肥数控机床)", "Hefei"),
           ("QDTX", "Qingdao Textile Machinery (青岛纺织机械)", "Qingdao"))),
)


@dataclass(frozen=True)
class Family:
    """SKUs that differ only by a variant: same category, controls, packaging and roughly the same size."""

    owner: str
    code: str
    name: str
    zh: str
    category: str
    variants: Sequence[str]
    dims: tuple[str, str, str] | None  # metres of one base unit; None for goods sold by weight or length
    weight: str  # kilograms per base unit
    volume: str | None = None  # cubic metres per base unit, when there are no dimensions
    uom: str = "C62"
    decimals: int = 0
    inner: tuple[int, str] | None = None  # factor, unit
    case: tuple[int, str] | None = None
    pallet: int | None = None  # fixed pallet quantity; otherwise as many cases as a pallet carries
    lot: bool = False
    expiry_days: int | None = None
    serial: str | None = None  # serial-number prefix of a serial-controlled family
    condition: StorageCondition = StorageCondition.AMBIENT
    grow: str = "0"  # each next variant is this much larger: the variants of a family go up in size
    area: str = "rack"  # rack | floor | fg | haz: where its reserve stock stands
    pick: bool = True  # has a pick face
    lot_style: str = "date"  # date | week | batch | coil
    abc: str | None = None


def _f(owner: str, code: str, name: str, zh: str, category: str, variants: str, dims: str | None, weight: str,
       **kw: Any) -> Family:
    size: tuple[str, str, str] | None = None
    if dims:
        length, width, height = dims.split()
        size = (length, width, height)
    return Family(owner, code, name, zh, category, variants.split("|"), size, weight, **kw)


HOT = StorageCondition.HAZARDOUS
COOL = StorageCondition.AIR_CONDITIONED
VALUABLE = StorageCondition.HIGH_VALUE

FAMILIES: tuple[Family, ...] = (
    # Brighthome: fast-moving consumer goods for e-commerce and retail.
    _f("BH", "SHP", "Herbal Shampoo 400 ml", "草本洗发水", "personal care",
       "Lavender|Green Tea|Ginger|Anti-dandruff|Rose", "0.07 0.05 0.21", "0.45", case=(12, "CT"), lot=True,
       expiry_days=1095),
    _f("BH", "BWS", "Body Wash 750 ml", "沐浴露", "personal care", "Milk|Citrus|Ocean|Oat", "0.09 0.06 0.24",
       "0.82", case=(12, "CT"), lot=True, expiry_days=1095),
    _f("BH", "TPS", "Toothpaste 120 g", "牙膏", "personal care", "Mint|Whitening|Herbal|Kids Strawberry|Sensitive",
       "0.19 0.045 0.04", "0.15", inner=(3, "PK"), case=(72, "CT"), lot=True, expiry_days=730),
    _f("BH", "LIP", "Lip Balm 4 g", "润唇膏", "personal care", "Original|Honey|Peach", "0.018 0.018 0.07",
       "0.015", inner=(12, "BX"), case=(288, "CT"), lot=True, expiry_days=1095),
    _f("BH", "MSK", "Sheet Face Mask 5-pack", "面膜", "personal care", "Hydrating|Brightening|Soothing",
       "0.2 0.12 0.03", "0.16", case=(40, "CT"), lot=True, expiry_days=1095),
    _f("BH", "SUN", "Sunscreen SPF50 50 ml", "防晒霜", "personal care", "Face|Body", "0.05 0.03 0.13", "0.07",
       inner=(6, "BX"), case=(96, "CT"), lot=True, expiry_days=1095),
    _f("BH", "HSN", "Hand Sanitiser Gel 500 ml", "免洗洗手液", "personal care", "Unscented|Aloe",
       "0.08 0.06 0.2", "0.52", case=(12, "CT"), lot=True, expiry_days=730, condition=HOT),
    _f("BH", "LDT", "Laundry Liquid 3 kg", "洗衣液", "household", "Lavender|Baby Care|Stain Pro",
       "0.18 0.11 0.28", "3.15", case=(4, "CT"), lot=True),
    _f("BH", "DSH", "Dish Soap 1.1 kg", "洗洁精", "household", "Lemon|Green Tea|Ginger", "0.09 0.06 0.25", "1.15",
       case=(12, "CT"), lot=True),
    _f("BH", "TIS", "Facial Tissue 3-ply 120 sheets", "抽纸", "household", "Natural|Scented|Travel Size",
       "0.19 0.115 0.08", "0.18", inner=(3, "PK"), case=(36, "CT")),
    _f("BH", "PTW", "Kitchen Paper Towel", "厨房纸巾", "household", "2 Rolls|4 Rolls", "0.24 0.12 0.22", "0.5",
       case=(12, "CT"), grow="0.25"),
    _f("BH", "TRB", "Trash Bags 45x50 cm 100 pcs", "垃圾袋", "household", "Black|Drawstring", "0.15 0.1 0.06",
       "0.3", case=(50, "CT")),
    _f("BH", "TWL", "Cotton Towel 34x76 cm", "纯棉毛巾", "home textiles", "White|Grey|Blue|Pink", "0.3 0.2 0.03",
       "0.11", inner=(10, "PK"), case=(100, "CT")),
    _f("BH", "SCK", "Cotton Socks 5 pairs", "棉袜五双装", "home textiles", "Men Black|Men Grey|Women White|Women Pink",
       "0.22 0.12 0.04", "0.25", case=(60, "CT")),
    _f("BH", "NUT", "Daily Mixed Nuts 500 g", "每日坚果", "snacks", "Original|Honey|Salted|Cranberry",
       "0.2 0.06 0.28", "0.55", case=(20, "CT"), expiry_days=240),
    _f("BH", "BSC", "Butter Cookies 454 g Tin", "黄油曲奇", "snacks", "Classic|Chocolate Chip|Matcha",
       "0.2 0.2 0.08", "0.6", case=(12, "CT"), lot=True, expiry_days=365),
    _f("BH", "NDL", "Instant Noodles 5-pack", "方便面五连包", "snacks",
       "Braised Beef|Spicy Beef|Tomato Egg|Pickled Cabbage|Mushroom Chicken", "0.3 0.2 0.1", "0.55",
       case=(6, "CT"), expiry_days=180, abc="A"),
    _f("BH", "TEA", "Oolong Tea 250 g", "乌龙茶", "beverages", "Tieguanyin|Da Hong Pao|Jasmine Green",
       "0.1 0.07 0.2", "0.3", case=(24, "CT"), lot=True, expiry_days=730),
    _f("BH", "WTR", "Mineral Water 550 ml", "矿泉水", "beverages", "Still|Sparkling", "0.065 0.065 0.22", "0.57",
       case=(24, "CT"), expiry_days=365, abc="A"),
    _f("BH", "JUC", "Fruit Juice 1 L", "果汁", "beverages", "Orange|Apple|Grape", "0.07 0.07 0.24", "1.08",
       case=(12, "CT"), lot=True, expiry_days=120, condition=COOL),
    _f("BH", "RIC", "Northeast Rice 5 kg", "东北大米", "grocery", "Jasmine|Japonica", "0.4 0.25 0.08", "5.02",
       case=(4, "BE"), expiry_days=365),
    _f("BH", "SOY", "Soy Sauce 500 ml", "酱油", "grocery", "Light|Dark", "0.065 0.065 0.25", "0.62",
       case=(12, "CT"), lot=True, expiry_days=540),
    _f("BH", "FML", "Infant Formula 800 g", "婴儿配方奶粉", "baby", "Stage 1|Stage 2|Stage 3|Stage 4",
       "0.13 0.13 0.18", "1.05", case=(6, "CT"), lot=True, expiry_days=720, condition=COOL, abc="A"),
    _f("BH", "DPR", "Baby Diapers", "纸尿裤", "baby", "NB 84|S 72|M 60|L 50|XL 44", "0.38 0.22 0.17", "2.3",
       case=(4, "BG"), lot=True),
    _f("BH", "WIP", "Baby Wipes 80 sheets", "婴儿湿巾", "baby", "Unscented|Aloe", "0.2 0.11 0.07", "0.45",
       case=(24, "CT"), lot=True, expiry_days=1095),
    # Voltek: consumer electronics; devices are serial-controlled and high value.
    _f("VT", "PHN", "Nova 12 Smartphone", "智能手机", "phones",
       "128 GB Black|128 GB Silver|256 GB Black|256 GB Blue|512 GB Titanium", "0.17 0.09 0.06", "0.45",
       case=(10, "CT"), serial="NV12", condition=VALUABLE, abc="A"),
    _f("VT", "PHL", "Nova 12 Lite Smartphone", "智能手机青春版", "phones", "128 GB Black|128 GB Green|256 GB White",
       "0.17 0.09 0.06", "0.42", case=(10, "CT"), serial="NV12L", condition=VALUABLE),
    _f("VT", "TAB", "Pad Air 11 Tablet", "平板电脑", "tablets", "Wi-Fi 128 GB Grey|Wi-Fi 256 GB Grey|5G 256 GB Silver",
       "0.28 0.2 0.05", "0.78", case=(8, "CT"), serial="PA11", condition=VALUABLE),
    _f("VT", "WCH", "Watch S3", "智能手表", "wearables", "41 mm Black|45 mm Black|45 mm Silver", "0.12 0.09 0.09",
       "0.28", case=(20, "CT"), serial="WS3", condition=VALUABLE),
    _f("VT", "BUD", "Buds Pro Earbuds", "无线耳机", "audio", "White|Black", "0.1 0.1 0.05", "0.15",
       case=(40, "CT"), serial="BP", condition=VALUABLE),
    _f("VT", "RTR", "AX3000 Wi-Fi 6 Router", "无线路由器", "networking", "Single|Mesh 2-pack", "0.25 0.18 0.08",
       "0.6", case=(10, "CT"), serial="AX3", grow="0.6"),
    _f("VT", "CAM", "Home Security Camera 2K", "监控摄像头", "smart home", "Indoor|Outdoor", "0.12 0.1 0.1",
       "0.35", case=(20, "CT"), serial="HC2K"),
    _f("VT", "PWB", "Power Bank", "移动电源", "power", "10000 mAh White|10000 mAh Black|20000 mAh Grey",
       "0.15 0.08 0.03", "0.25", case=(40, "CT"), lot=True, lot_style="week", condition=HOT),
    _f("VT", "CHG", "GaN Charger", "氮化镓充电器", "power", "20 W|33 W|65 W|100 W", "0.08 0.06 0.05", "0.09",
       case=(50, "CT"), grow="0.15", abc="A"),
    _f("VT", "WLC", "Wireless Charging Pad 15 W", "无线充电板", "power", "Black|White", "0.12 0.12 0.03", "0.15",
       case=(50, "CT")),
    _f("VT", "BTY", "AA Alkaline Batteries 4-pack", "5号碱性电池", "power", "Standard", "0.06 0.03 0.11", "0.1",
       inner=(10, "BX"), case=(200, "CT"), lot=True, expiry_days=3650, lot_style="week"),
    _f("VT", "CBL", "Charging Cable", "数据线", "accessories", "USB-C 1 m|USB-C 2 m|USB-A to C 1 m|Lightning 1 m",
       "0.1 0.08 0.02", "0.05", inner=(10, "BX"), case=(200, "CT"), abc="A"),
    _f("VT", "CSE", "Nova 12 Phone Case", "手机壳", "accessories", "Clear|Black|Blue|Leather Brown",
       "0.18 0.1 0.02", "0.04", case=(100, "CT")),
    _f("VT", "SPR", "Nova 12 Screen Protector", "钢化膜", "accessories", "Clear|Privacy", "0.19 0.1 0.01", "0.03",
       inner=(5, "PK"), case=(200, "CT")),
    _f("VT", "KBD", "Wireless Keyboard", "无线键盘", "peripherals", "Black|White", "0.45 0.14 0.04", "0.55",
       case=(10, "CT")),
    _f("VT", "MSE", "Wireless Mouse", "无线鼠标", "peripherals", "Black|White|Pink", "0.13 0.08 0.05", "0.12",
       case=(40, "CT")),
    _f("VT", "SPK", "Mini Bluetooth Speaker", "蓝牙音箱", "audio", "Black|Blue|Red", "0.11 0.11 0.1", "0.4",
       case=(20, "CT")),
    _f("VT", "SDC", "microSD Card", "存储卡", "storage media", "64 GB|128 GB|256 GB", "0.09 0.06 0.01", "0.02",
       inner=(10, "BX"), case=(500, "CT"), lot=True, lot_style="week", condition=VALUABLE),
    _f("VT", "HUB", "USB-C Hub 7-in-1", "扩展坞", "peripherals", "Grey|Silver", "0.14 0.08 0.03", "0.15",
       case=(50, "CT")),
    _f("VT", "SCL", "Smart Body Scale", "体脂秤", "smart home", "White|Black", "0.3 0.3 0.04", "1.6", case=(6, "CT")),
    # Huaxin: raw materials, components and finished goods of a drive-systems plant.
    _f("HX", "CRC", "Cold-rolled Coil DC01", "冷轧卷", "steel coil",
       "0.8 x 1250 mm|1.0 x 1250 mm|1.2 x 1500 mm|1.5 x 1250 mm", None, "1", volume="0.000127", uom="KGM",
       decimals=3, lot=True, area="floor", pick=False, lot_style="coil", abc="A"),
    _f("HX", "GIC", "Galvanised Coil DX51D+Z275", "镀锌卷", "steel coil", "0.6 x 1219 mm|1.0 x 1219 mm", None, "1",
       volume="0.000127", uom="KGM", decimals=3, lot=True, area="floor", pick=False, lot_style="coil"),
    _f("HX", "SSC", "Stainless Coil 304 2B", "不锈钢卷", "steel coil", "0.5 x 1219 mm|1.0 x 1219 mm", None, "1",
       volume="0.000126", uom="KGM", decimals=3, lot=True, area="floor", pick=False, lot_style="coil"),
    _f("HX", "RBR", "Round Bar 45# Steel 6 m", "45#圆钢", "steel bar", "D40 mm|D60 mm", None, "1",
       volume="0.000127", uom="KGM", decimals=3, lot=True, area="floor", pick=False, lot_style="coil"),
    _f("HX", "WRD", "Wire Rod SAE1008 6.5 mm", "线材", "steel bar", "Standard", None, "1", volume="0.000127",
       uom="KGM", decimals=3, lot=True, area="floor", pick=False, lot_style="coil"),
    _f("HX", "CUT", "Water-soluble Cutting Fluid", "水溶性切削液", "chemicals", "Semi-synthetic", None, "1",
       volume="0.00095", uom="KGM", decimals=3, case=(200, "DR"), pallet=800, lot=True, expiry_days=730,
       condition=HOT, pick=False, lot_style="batch", area="haz"),
    _f("HX", "EPX", "Epoxy Primer", "环氧底漆", "chemicals", "Grey|Red Oxide", None, "1", volume="0.0008",
       uom="KGM", decimals=3, case=(20, "PL"), pallet=720, lot=True, expiry_days=365, condition=HOT, pick=False,
       lot_style="batch", area="haz"),
    _f("HX", "DGR", "Alkaline Degreaser", "碱性脱脂剂", "chemicals", "Standard", None, "1", volume="0.00085",
       uom="KGM", decimals=3, case=(25, "PL"), pallet=800, lot=True, expiry_days=540, condition=HOT, pick=False,
       lot_style="batch", area="haz"),
    _f("HX", "HYD", "Hydraulic Oil ISO VG46", "液压油", "chemicals", "Standard", None, "1", volume="0.00115",
       uom="KGM", decimals=3, case=(170, "DR"), pallet=680, lot=True, expiry_days=1825, pick=False,
       lot_style="batch"),
    _f("HX", "THN", "Paint Thinner", "稀释剂", "chemicals", "Standard", None, "1", volume="0.00115", uom="KGM",
       decimals=3, case=(15, "PL"), pallet=540, lot=True, expiry_days=730, condition=HOT, pick=False,
       lot_style="batch", area="haz"),
    _f("HX", "HXB", "Hex Bolt GB/T 5783 8.8 Zinc", "外六角螺栓", "fasteners",
       "M6x20|M8x25|M8x40|M10x30|M10x50|M12x40|M12x60|M16x60", "0.02 0.01 0.01", "0.008", inner=(100, "BX"),
       case=(1000, "CT"), grow="0.22"),
    _f("HX", "HXN", "Hex Nut GB/T 6170 Class 8", "六角螺母", "fasteners", "M6|M8|M10|M12|M16", "0.01 0.01 0.005",
       "0.0025", inner=(100, "BX"), case=(2000, "CT"), grow="0.3"),
    _f("HX", "FWS", "Flat Washer GB/T 97.1", "平垫圈", "fasteners", "M6|M8|M10|M12|M16", "0.012 0.012 0.0016",
       "0.0012", inner=(200, "BX"), case=(4000, "CT"), grow="0.3"),
    _f("HX", "SCS", "Socket Head Cap Screw 12.9", "内六角螺钉", "fasteners", "M5x16|M6x25|M8x30",
       "0.025 0.009 0.009", "0.006", inner=(100, "BX"), case=(1000, "CT"), grow="0.3"),
    _f("HX", "BRG", "Deep Groove Ball Bearing", "深沟球轴承", "bearings", "6204-2RS|6205-2RS|6206-2RS|6305-ZZ|6308-ZZ",
       "0.05 0.05 0.017", "0.11", inner=(10, "BX"), case=(100, "CT"), lot=True, lot_style="batch", grow="0.15"),
    _f("HX", "SEL", "Oil Seal TC", "骨架油封", "components", "30x47x7|40x62x8|50x72x8", "0.05 0.05 0.008", "0.02",
       inner=(20, "BX"), case=(400, "CT"), grow="0.25"),
    _f("HX", "VBL", "V-belt A-section", "三角带", "components", "A-1000|A-1250", "0.32 0.32 0.02", "0.12",
       inner=(10, "BE"), case=(50, "CT"), grow="0.1"),
    _f("HX", "CAB", "Copper Power Cable YJV", "铜芯电力电缆", "electrical", "3x2.5 mm2|3x4 mm2|4x6 mm2", None, "0.15",
       volume="0.00012", uom="MTR", decimals=1, case=(100, "RO"), pallet=2000, lot=True, lot_style="batch"),
    _f("HX", "GLV", "Nitrile Work Gloves", "丁腈手套", "safety", "Size M|Size L|Size XL", "0.24 0.11 0.01",
       "0.05", uom="PR", inner=(12, "DZN"), case=(240, "CT")),
    _f("HX", "SRV", "AC Servo Motor", "交流伺服电机", "finished goods", "400 W|750 W|1.5 kW|3 kW", "0.2 0.1 0.1",
       "1.3", case=(4, "CT"), serial="HXM", area="fg", pick=False, grow="0.32", condition=VALUABLE),
    _f("HX", "GBX", "Planetary Gearbox", "行星减速机", "finished goods", "PL60 i=10|PL90 i=10|PL120 i=20",
       "0.18 0.09 0.09", "1.5", case=(4, "CT"), serial="HXG", area="fg", pick=False, grow="0.4"),
    _f("HX", "DRV", "Servo Drive", "伺服驱动器", "finished goods", "400 W|750 W|1.5 kW", "0.2 0.17 0.06", "0.9",
       case=(6, "CT"), serial="HXD", area="fg", pick=False, grow="0.2", condition=VALUABLE),
    _f("HX", "KIT", "Motor Mounting Kit", "电机安装套件", "finished goods", "Standard", "0.25 0.15 0.06", "0.8",
       case=(12, "CT"), area="fg", pick=False),
)


@dataclass
class SkuPlan:
    owner: Owner
    family: Family
    variant: int
    code: str
    row: Row
    packs: list[Pack]
    barcodes: list[Row]

    @property
    def volume(self) -> Decimal:
        return Decimal(self.row["volume"])

    @property
    def weight(self) -> Decimal:
        return Decimal(self.row["weight"])

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-int(self.row["decimals"]))

    def pack(self, level: PackLevel) -> Decimal | None:
        return next((p.factor for p in self.packs if p.level is level), None)


def _gtin(prefix: str, reference: int, indicator: str = "") -> str:
    body = f"{indicator}{prefix}{reference:05d}"
    return body + str(gs1_check_digit(body))


def _catalogue(rng: random.Random) -> list[SkuPlan]:
    owners = {o.key: o for o in OWNERS}
    references: dict[str, int] = {o.key: 10000 for o in OWNERS}
    plans: list[SkuPlan] = []
    for fam in FAMILIES:
        owner = owners[fam.owner]
        for index, variant in enumerate(fam.variants):
            scale = 1 + D(fam.grow) * index
            jitter = D(rng.randint(920, 1080)).scaleb(-3)
            if fam.dims:
                length, width, height = ((D(d) * scale * jitter).quantize(MILLI) for d in fam.dims)
                volume = max((length * width * height).quantize(MICRO, ROUND_HALF_UP), MICRO)
                weight = (D(fam.weight) * scale**3 * jitter).quantize(MILLI)
                dims: tuple[Decimal | None, ...] = (length, width, height)
            else:
                volume, weight, dims = D(fam.volume or "0"), D(fam.weight), (None, None, None)
            weight = max(weight, MILLI)
            packs = _packs(fam, volume, weight)
            decimals = fam.decimals
            check_unit(fam.uom, "base_uom")
            if fam.serial and decimals:
                raise AssertionError("a serial-controlled SKU is counted in whole units")
            packs = check_packs(packs, decimals)
            references[owner.key] += rng.randint(1, 7)
            each = _gtin(owner.gs1_prefix, references[owner.key])
            barcodes = [{"barcode": check_gtin(each), "kind": BarcodeKind.GTIN.value, "pack_level": "each"}]
            if fam.case:
                # The case carries a GTIN-14: indicator digit 1 before the item's own GTIN-13 body.
                case_gtin = _gtin(owner.gs1_prefix, references[owner.key], indicator="1")
                barcodes.append({"barcode": check_gtin(case_gtin), "kind": BarcodeKind.GTIN.value,
                                 "pack_level": "case"})
            code = f"{owner.key}-{fam.code}-{index + 1:02d}"
            if owner.key == "HX":
                # A plant labels its own material with its part number as well as the maker's GTIN.
                barcodes.append({"barcode": code, "kind": BarcodeKind.INTERNAL.value, "pack_level": "each"})
            abc = fam.abc or rng.choices("ABC", weights=(2, 3, 5))[0]
            name = f"{fam.name} {variant} ({fam.zh})" if len(fam.variants) > 1 else f"{fam.name} ({fam.zh})"
            plans.append(SkuPlan(owner, fam, index, code, {
                "code": code, "name": name, "specification": variant, "base_uom": fam.uom, "decimals": decimals,
                "length": dims[0], "width": dims[1], "height": dims[2], "volume": volume, "weight": weight,
                "category": fam.category, "abc_class": abc, "lot_control": fam.lot,
                "expiry_control": fam.expiry_days is not None, "shelf_life_days": fam.expiry_days,
                "serial_control": fam.serial is not None, "storage_condition": fam.condition.value,
            }, packs, barcodes))
    return plans


PALLET_VOLUME = D("1.5")  # 1.2 x 1.0 m pallet stacked 1.25 m high
PALLET_WEIGHT = D("900")


def _packs(fam: Family, volume: Decimal, weight: Decimal) -> list[Pack]:
    packs = [Pack(PackLevel.EACH, fam.uom, D(1), fam.decimals)]
    if fam.inner:
        packs.append(Pack(PackLevel.INNER, fam.inner[1], D(fam.inner[0])))
    if fam.case:
        factor = D(fam.case[0])
        packs.append(Pack(PackLevel.CASE, fam.case[1], factor))
        if fam.pallet:
            packs.append(Pack(PackLevel.PALLET, "PX", D(fam.pallet)))
        else:
            # Cartons are about 15 % bigger and a little heavier than what they hold.
            case_volume = volume * factor * D("1.15")
            case_weight = weight * factor * D("1.05") + D("0.3")
            cases = min(int(PALLET_VOLUME / case_volume), int(PALLET_WEIGHT / case_weight), 120)
            if cases >= 2:
                packs.append(Pack(PackLevel.PALLET, "PX", factor * cases))
    return packs


# ---------------------------------------------------------------- opening stock plan


@dataclass(frozen=True)
class LotPlan:
    number: str | None  # None: an expiry-controlled SKU without lot control, named after its expiry date
    produced: date
    expires: date | None


@dataclass
class StockPlan:
    sku: SkuPlan
    slot: Slot
    quantity: Decimal
    lot: LotPlan | None = None
    serial: str | None = None
    status: StockStatus = StockStatus.AVAILABLE
    container: str | None = None


@dataclass
class Pools:
    """Free locations by site and zone; reserve positions in random order, pick faces in walking order."""

    free: dict[tuple[str, str], list[Slot]]

    def take(self, site: str, zone: str) -> Slot:
        spare = self.free.get((site, zone))
        if not spare:
            raise AssertionError(f"the demo layout has too few free locations in {site}/{zone}")
        return spare.pop()

    def any(self, site: str, zone: str, rng: random.Random) -> Slot:
        """A location shared by whatever lands there, like a returns bench."""
        return rng.choice(self.free[(site, zone)])


def _fit(sku: SkuPlan, slot: Slot, wanted: Decimal) -> Decimal:
    """The most of ``wanted`` the location still holds by volume, weight and units, in whole steps of the SKU."""
    limits = [wanted]
    row = slot.row
    if row["max_units"] is not None:
        limits.append(row["max_units"] - slot.used_units)
    if row["max_volume"] is not None and sku.volume:
        limits.append((row["max_volume"] - slot.used_volume) / sku.volume)
    if row["max_weight"] is not None and sku.weight:
        limits.append((row["max_weight"] - slot.used_weight) / sku.weight)
    return max(min(limits), ZERO).quantize(sku.step, ROUND_DOWN)


def _put(plans: list[StockPlan], sku: SkuPlan, slot: Slot, wanted: Decimal, **kw: Any) -> StockPlan | None:
    quantity = _fit(sku, slot, wanted)
    if quantity <= 0:
        return None
    if not slot.row["mix_skus"] and slot.skus - {sku.code}:
        raise AssertionError(f"{slot.code} holds one SKU only")
    slot.used_units += quantity
    slot.used_volume += quantity * sku.volume
    slot.used_weight += quantity * sku.weight
    slot.skus.add(sku.code)
    plan = StockPlan(sku, slot, quantity, **kw)
    plans.append(plan)
    return plan


def _lot_number(style: str, produced: date, index: int, rng: random.Random) -> str:
    if style == "week":
        return f"W{produced:%y%W}{index + 1:02d}"
    if style == "batch":
        return f"{produced:%y%m%d}-{rng.randint(100, 999)}"
    if style == "coil":
        # Coil numbers: the heat the steel was cast in, then the coil cut from it.
        return f"H{produced:%y}{rng.randint(10000, 99999)}-{index + 1:02d}"
    return f"{produced:%Y%m%d}{chr(65 + index)}"


def _lots(sku: SkuPlan, count: int, today: date, rng: random.Random, near_expiry: bool) -> list[LotPlan]:
    fam = sku.family
    shelf = fam.expiry_days
    top = int(shelf * 0.7) if shelf else 400
    ages = sorted(rng.sample(range(12, max(top, 40)), count), reverse=True)
    if shelf and near_expiry:
        ages[0] = shelf - rng.randint(6, 40)
    lots = []
    for index, age in enumerate(ages):
        produced = today - timedelta(days=age)
        expires = produced + timedelta(days=shelf) if shelf else None
        number = _lot_number(fam.lot_style, produced, index, rng) if fam.lot else None
        lots.append(LotPlan(number, produced, expires))
    return lots


def _serials(sku: SkuPlan, count: int, rng: random.Random) -> list[str]:
    start = rng.randint(10000, 80000)
    made = f"{rng.randint(23, 24)}{rng.randint(1, 52):02d}"
    return [check_serial(f"{sku.family.serial}{sku.variant + 1}{made}{start + k:06d}") for k in range(count)]


def _reserve_quantity(sku: SkuPlan, rng: random.Random) -> Decimal:
    pallet, case, inner = sku.pack(PackLevel.PALLET), sku.pack(PackLevel.CASE), sku.pack(PackLevel.INNER)
    if sku.family.lot_style == "coil":
        return D(rng.randint(2_500_000, 11_000_000)).scaleb(-3)
    if pallet and case:
        if rng.random() < 0.7:
            return pallet
        partial = case * rng.randint(1, max(1, int(pallet / case) - 1))
        if sku.step < 1 and rng.random() < 0.5:
            # A drum already opened on the shop floor comes back part-used.
            partial -= D(rng.randint(1, int(case * 1000) - 1)).scaleb(-3)
        return partial
    if case:
        return case * rng.randint(4, 30)
    return (inner or D(1)) * rng.randint(20, 200)


def _face_quantity(sku: SkuPlan, rng: random.Random) -> Decimal:
    case, inner = sku.pack(PackLevel.CASE), sku.pack(PackLevel.INNER)
    if sku.step < 1:
        return D(rng.randint(300, 3500)) * sku.step
    if inner and rng.random() < 0.5:
        return inner * rng.randint(2, 12)
    if case:
        return case * rng.randint(1, 3) + rng.randint(0, int(case) - 1)
    return D(rng.randint(10, 120))


def _stock(skus: list[SkuPlan], slots: list[Slot], today: date, rng: random.Random) -> list[StockPlan]:
    free: dict[tuple[str, str], list[Slot]] = {}
    for slot in slots:
        if not slot.blocked:
            free.setdefault((slot.site, slot.zone), []).append(slot)
    for (_, zone), spare in free.items():
        if zone in ("PCK", "LSP"):
            spare.sort(key=lambda s: -s.row["pick_sequence"])  # popped from the end: lowest sequence first
        else:
            rng.shuffle(spare)
    pools = Pools(free)
    sites = {s.key: s for s in SITES}
    reserve_zone = {("SH", "rack"): "RSV", ("SH", "fg"): "RSV", ("SZ", "rack"): "RMS", ("SZ", "fg"): "FGS",
                    ("SZ", "floor"): "BLK", ("SZ", "haz"): "HAZ"}
    plans: list[StockPlan] = []
    lots: dict[str, list[LotPlan]] = {}
    serials: dict[str, list[str]] = {}

    # Slotting: the fastest movers get the pick faces nearest the start of the pick walk.
    faces = {sku.code: pools.take(sku.owner.site, sites[sku.owner.site].pick_zone)
             for sku in sorted(skus, key=lambda s: (s.row["abc_class"], s.code)) if sku.family.pick}

    for sku in skus:
        fam, site = sku.family, sku.owner.site
        reserves = {"A": 4, "B": 3, "C": 2}[sku.row["abc_class"]] - (1 if fam.lot_style == "coil" else 0)
        reserves += rng.randint(0, 1)
        if fam.lot or fam.expiry_days:
            count = reserves if fam.lot_style == "coil" else min(reserves, rng.randint(1, 3))
            lots[sku.code] = _lots(sku, count, today, rng, near_expiry=rng.random() < 0.25)
        if fam.serial:
            count = {"A": 30, "B": 18, "C": 10}[sku.row["abc_class"]] + rng.randint(0, 6)
            serials[sku.code] = _serials(sku, count + 3, rng)
            _place_serials(plans, pools, sku, serials[sku.code][:count], reserve_zone[(site, fam.area)], faces)
            if fam.area == "fg":
                _place_serials(plans, pools, sku, serials[sku.code][count:count + 2], "RSV", {}, site="SH")
            continue
        sku_lots = lots.get(sku.code, [])
        for index in range(reserves):
            slot = pools.take(site, reserve_zone[(site, fam.area)])
            lot = sku_lots[index % len(sku_lots)] if sku_lots else None
            _put(plans, sku, slot, _reserve_quantity(sku, rng), lot=lot)
        if fam.area == "fg":
            _put(plans, sku, pools.take("SH", "RSV"), _reserve_quantity(sku, rng))
        face = faces.get(sku.code)
        if face is not None:
            # The pick face holds the lot that goes first (FEFO), sometimes with the next one already behind it.
            face_lots: list[LotPlan | None] = list(sku_lots[:2] if len(sku_lots) > 1 and rng.random() < 0.3
                                                   else sku_lots[:1]) or [None]
            for lot in face_lots:
                _put(plans, sku, face, _face_quantity(sku, rng), lot=lot)

    _containers_for_pallets(plans)
    _held_stock(plans, pools, skus, lots, serials, today, rng)
    return plans


def _place_serials(plans: list[StockPlan], pools: Pools, sku: SkuPlan, numbers: list[str], zone: str,
                   faces: dict[str, Slot], site: str | None = None) -> None:
    site = site or sku.owner.site
    face = faces.get(sku.code)
    at_face = min(6, len(numbers) // 4) if face else 0
    slot: Slot | None = None
    for index, number in enumerate(numbers):
        if index < at_face and face is not None:
            _put(plans, sku, face, D(1), serial=number)
            continue
        # A reserve position takes one carton layer of devices before the next position is opened.
        if slot is None or (index - at_face) % 16 == 0 or _fit(sku, slot, D(1)) < 1:
            slot = pools.take(site, zone)
        _put(plans, sku, slot, D(1), serial=number)


def _containers_for_pallets(plans: list[StockPlan]) -> None:
    """Full pallets in reserve racking stand on a pallet with its own LPN, as they were received."""
    counters = {"SH": 0, "SZ": 0}
    limits = {"SH": 24, "SZ": 10}
    for plan in plans:
        site = plan.slot.site
        if plan.serial is None and plan.slot.row["max_pallets"] == 1 and counters[site] < limits[site] \
                and plan.quantity == plan.sku.pack(PackLevel.PALLET):
            counters[site] += 1
            plan.container = f"{site}-PLT-{counters[site]:05d}"


def _held_stock(plans: list[StockPlan], pools: Pools, skus: list[SkuPlan], lots: dict[str, list[LotPlan]],
                serials: dict[str, list[str]], today: date, rng: random.Random) -> None:
    """Stock that is not yet available: a few fresh receipts waiting in QC and returns found damaged."""
    by_site: dict[str, list[SkuPlan]] = {"SH": [], "SZ": []}
    for sku in skus:
        by_site[sku.owner.site].append(sku)
    for site, qc_count in (("SH", 5), ("SZ", 3)):
        candidates = [s for s in by_site[site] if (s.family.lot or s.family.expiry_days) and not s.family.serial
                      and s.family.lot_style != "coil"]
        for sku in rng.sample(candidates, qc_count):
            produced = today - timedelta(days=rng.randint(2, 9))
            shelf = sku.family.expiry_days
            number = _lot_number(sku.family.lot_style, produced, len(lots[sku.code]), rng) if sku.family.lot \
                else None
            lot = LotPlan(number, produced, produced + timedelta(days=shelf) if shelf else None)
            wanted = sku.pack(PackLevel.PALLET) or _reserve_quantity(sku, rng)
            _put(plans, sku, pools.take(site, "QC"), wanted, lot=lot, status=StockStatus.QC)
        plain = [s for s in by_site[site] if not (s.family.lot or s.family.expiry_days or s.family.serial)]
        for sku in rng.sample(plain, 2 if site == "SZ" else 3):
            wanted = D(rng.randint(1, 12)) if sku.step == 1 else D(rng.randint(10, 900)) * sku.step
            _put(plans, sku, pools.any(site, "RET", rng), wanted, status=StockStatus.DAMAGED)
        with_serials = [s for s in by_site[site] if s.family.serial]
        for sku in rng.sample(with_serials, 2):
            # The spare serials were kept aside for this: a returned unit is never also on a shelf.
            _put(plans, sku, pools.any(site, "RET", rng), D(1), serial=serials[sku.code][-1],
                 status=StockStatus.DAMAGED)


# ---------------------------------------------------------------- writing


def _suffix(conn: Connection) -> str:
    """The demo loaded again (``--force``) gets new warehouse, owner and carrier codes rather than failing."""
    taken = {code for table in (t.warehouse, t.owner, t.carrier) for code in conn.execute(select(table.c.code))
             .scalars()}
    wanted = [s.code for s in SITES] + [o.code for o in OWNERS] + [c[0] for c in CARRIERS]
    run = 1
    while any(code + _tag(run) in taken for code in wanted):
        run += 1
    return _tag(run)


def _tag(run: int) -> str:
    return "" if run == 1 else f"-{run}"


CARRIERS: tuple[tuple[str, str, list[str]], ...] = (
    ("SF", "SF Express (顺丰速运)", ["standard", "next_day", "same_day"]),
    ("ZTO", "ZTO Express (中通快递)", ["standard"]),
    ("YTO", "YTO Express (圆通速递)", ["standard"]),
    ("JDL", "JD Logistics (京东物流)", ["standard", "next_day"]),
    ("DEPPON", "Deppon Freight (德邦快运)", ["ltl", "ftl"]),
    ("FLEET", "Own truck fleet (自有车队)", ["milk_run", "ftl"]),
)

OPERATOR_GS1_PREFIX = "6941306"  # the 3PL's own company prefix: it, not the owners, labels the pallets


def _sscc(run: int, number: int) -> str:
    body = f"3{OPERATOR_GS1_PREFIX}{run:02d}{number:07d}"
    return check_sscc(body + str(gs1_check_digit(body)))


def _insert(conn: Connection, table: Table, rows: Iterable[Row], now: datetime, stamps: bool = True) -> None:
    batch = [{**r, "created_at": now, "updated_at": now} if stamps else r for r in rows]
    if batch:
        conn.execute(insert(table), batch)


def _ids(conn: Connection, table: Table, key: str, **where: Any) -> dict[Any, int]:
    query = select(table.c[key], table.c.id)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    return {k: int(i) for k, i in conn.execute(query)}


@dataclass
class Written:
    zones: dict[tuple[str, str], int] = field(default_factory=dict)
    locations: dict[tuple[str, str], int] = field(default_factory=dict)
    owners: dict[str, int] = field(default_factory=dict)
    skus: dict[str, int] = field(default_factory=dict)
    containers: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _write_master(conn: Connection, warehouses: dict[str, int], slots: list[Slot], skus: list[SkuPlan],
                  tag: str, run: int) -> Written:
    now = datetime.now(UTC)
    out = Written()
    zones = [{"warehouse_id": warehouses[s.key], "code": code, "name": name, "kind": kind.value}
             for s in SITES for code, name, kind in s.zones]
    _insert(conn, t.zone, zones, now)
    for site in SITES:
        for code, zone_id in _ids(conn, t.zone, "code", warehouse_id=warehouses[site.key]).items():
            out.zones[(site.key, code)] = zone_id
    _insert(conn, t.location, ({**s.row, "warehouse_id": warehouses[s.site], "zone_id": out.zones[(s.site, s.zone)],
                                "virtual_kind": None} for s in slots), now)
    for site in SITES:
        for code, location_id in _ids(conn, t.location, "code", warehouse_id=warehouses[site.key]).items():
            out.locations[(site.key, code)] = location_id

    _insert(conn, t.owner, ({"code": o.code + tag, "name": o.name, "contact": o.contact} for o in OWNERS), now)
    owner_ids = _ids(conn, t.owner, "code")
    out.owners = {o.key: owner_ids[o.code + tag] for o in OWNERS}
    _insert(conn, t.sku, ({**s.row, "owner_id": out.owners[s.owner.key]} for s in skus), now)
    for owner in OWNERS:
        out.skus.update(_ids(conn, t.sku, "code", owner_id=out.owners[owner.key]))
    _insert(conn, t.sku_pack, ({"sku_id": out.skus[s.code], "level": p.level.value, "uom": p.uom,
                                "factor": p.factor, "decimals": p.decimals} for s in skus for p in s.packs),
            now, stamps=False)
    _insert(conn, t.sku_barcode, ({**b, "sku_id": out.skus[s.code], "owner_id": out.owners[s.owner.key]}
                                  for s in skus for b in s.barcodes), now, stamps=False)

    parties: dict[Table, list[Row]] = {t.supplier: [], t.customer: []}
    for owner in OWNERS:
        for table, entries in ((t.supplier, owner.suppliers), (t.customer, owner.customers)):
            for index, (code, name, city) in enumerate(entries):
                parties[table].append({
                    "owner_id": out.owners[owner.key], "code": code, "name": name,
                    "contact_name": f"{'Goods-in' if table is t.customer else 'Sales'} desk {index + 1}",
                    "phone": f"+86 400 555 {3000 + 97 * index + len(code):04d}",
                    "email": f"{code.lower()}@{owner.code.lower()}-partners.example",
                    "address": {"country": "CN", "city": city}})
    for table, rows in parties.items():
        _insert(conn, table, rows, now)
    _insert(conn, t.carrier, ({"code": code + tag, "name": name, "scac": None, "service_levels": levels}
                              for code, name, levels in CARRIERS), now)

    containers: list[Row] = []
    pallets = {"SH": 30, "SZ": 16}
    sscc = 0
    for site in SITES:
        for k in range(1, pallets[site.key] + 1):
            sscc += 1
            containers.append({"warehouse_id": warehouses[site.key], "lpn": f"{site.key}-PLT-{k:05d}{tag}",
                               "sscc": _sscc(run, sscc), "kind": ContainerKind.PALLET.value})
        for kind, prefix, count in ((ContainerKind.TOTE, "TOTE", 20 if site.key == "SH" else 8),
                                    (ContainerKind.CAGE, "CAGE", 4 if site.key == "SH" else 2)):
            containers.extend({"warehouse_id": warehouses[site.key], "lpn": f"{site.key}-{prefix}-{k:04d}{tag}",
                               "sscc": None, "kind": kind.value} for k in range(1, count + 1))
    _insert(conn, t.container, containers, now)
    lpns = [c["lpn"] for c in containers]
    out.containers = {lpn: int(i) for lpn, i in conn.execute(
        select(t.container.c.lpn, t.container.c.id).where(t.container.c.lpn.in_(lpns)))}
    out.counts = {"zones": len(zones), "suppliers": len(parties[t.supplier]),
                  "customers": len(parties[t.customer]), "carriers": len(CARRIERS), "containers": len(containers),
                  "sscc": sscc}
    return out


def load_demo(db: Database, progress: Progress | None = None, *, today: date | None = None) -> str:
    """Load the demo into ``db`` and say what was loaded."""
    say = progress or (lambda _message: None)
    today = today or date.today()
    rng = random.Random(SEED)

    say("planning the demo")
    slots = [slot for site in SITES for slot in _layout(site, rng)]
    skus = _catalogue(rng)
    plans = _stock(skus, slots, today, rng)

    tag = db.read(_suffix)
    run = int(tag[1:]) if tag else 1
    say("creating the warehouses")
    warehouses = {site.key: int(md.create(db, md.WAREHOUSE, {
        "code": site.code + tag, "name": site.name, "address": site.address, "timezone": "Asia/Shanghai",
    }, principal=SYSTEM)["id"]) for site in SITES}

    say(f"laying out {len(slots):,} locations, {len(skus)} SKUs, parties and containers")
    written = db.write(lambda conn: _write_master(conn, warehouses, slots, skus, tag, run))

    lines_by_site: dict[str, list[StockLine]] = {s.key: [] for s in SITES}
    for plan in plans:
        lot = plan.lot
        lines_by_site[plan.slot.site].append(StockLine(
            owner_id=written.owners[plan.sku.owner.key], sku_id=written.skus[plan.sku.code],
            location_id=written.locations[(plan.slot.site, plan.slot.code)], quantity=plan.quantity,
            container_id=written.containers[plan.container + tag] if plan.container else None, status=plan.status,
            lot_number=lot.number if lot else None, production_date=lot.produced if lot else None,
            expiry_date=lot.expires if lot else None, serial=plan.serial))
    for site in SITES:
        lines = lines_by_site[site.key]
        say(f"posting {len(lines):,} lines of opening stock in {site.code + tag}")
        post_opening_stock(db, lines, principal=DEMO_USER, doc_ref=f"DEMO-OPENING-{site.code}{tag}")

    say("setting up putaway rules and open receipt orders")
    asns = _inbound(db, warehouses, written, skus, tag, today)
    say("taking in shipment orders and releasing a wave")
    shipments, waved = _outbound(db, warehouses, written, plans, tag, today)
    codes = [site.code + tag for site in SITES]
    return (_summary(db, codes, written, skus, plans, slots) + f"\n  inbound: putaway rules, {asns} open receipt orders"
            + f"\n  outbound: {shipments} shipment orders, {waved} of them in released waves with routed trips")


DEMO_CUSTOMERS = (("Li Na (李娜)", "Shanghai", "Xuhui District", "1200 Zhaojiabang Road", "200030"),
                  ("Wang Wei (王伟)", "Hangzhou", "Xihu District", "18 Wensan Road", "310012"),
                  ("Chen Jing (陈静)", "Suzhou", "Gusu District", "55 Renmin Road", "215000"),
                  ("Zhang Min (张敏)", "Nanjing", "Gulou District", "9 Zhongshan North Road", "210008"))


def _outbound(db: Database, warehouses: dict[str, int], written: Written, plans: list[StockPlan], tag: str,
              today: date) -> tuple[int, int]:
    """Twelve open sales orders per site for SKUs it has available, half of them in a released cluster wave
    (allocated, picks grouped into trips and routed), the rest waiting for the next wave."""
    rng = random.Random(SEED + 5)
    made = waved = 0
    for site in SITES:
        wh = warehouses[site.key]
        stocked = sorted({(p.sku.owner.key, p.sku.code) for p in plans if p.slot.site == site.key
                          and p.status is StockStatus.AVAILABLE and p.serial is None and p.quantity >= 10})
        if not stocked:
            continue
        ids = []
        for n in range(12):
            owner = stocked[rng.randrange(len(stocked))][0]
            own = [code for key, code in stocked if key == owner]
            chosen = rng.sample(own, min(len(own), rng.choice((1, 1, 2, 3))))
            name, city, district, street, postal = DEMO_CUSTOMERS[n % len(DEMO_CUSTOMERS)]
            ids.append(orders.create_order(db, DEMO_USER, orders.NewOrder(
                owner_id=written.owners[owner], warehouse_id=wh, external_ref=f"SO-{site.code}{tag}-{n + 1:04d}",
                type=OrderType.SALES_B2C, priority=rng.choice((0, 0, 5)), requested_ship_date=today,
                ship_to={"name": name, "country": "CN", "city": city, "district": district, "street": street,
                         "postal_code": postal},
                lines=[orders.NewOrderLine(quantity=Decimal(rng.randint(1, 3)), sku_id=written.skus[code])
                       for code in chosen])).order["id"])
        wave = waves.create_wave(db, DEMO_USER, waves.NewWave(wh, ids[:6]))
        waves.release(db, DEMO_USER, wave["id"], today=today)
        made += len(ids)
        waved += 6
    return made, waved


def _inbound(db: Database, warehouses: dict[str, int], written: Written, skus: list[SkuPlan], tag: str,
             today: date) -> int:
    """Putaway rules for each site (returns to the returns area, keep a SKU together, then the nearest free
    storage place) and two purchase ASNs per site waiting to be received, from the site's own owners."""
    count = 0
    for site in SITES:
        wh = warehouses[site.key]
        storage = next(code for code, _, kind in site.zones if kind is ZoneKind.STORAGE)
        rules = [("Customer returns to the returns area", Policy.NEAREST_CAPACITY, "RET",
                  {"receipt_type": ReceiptType.CUSTOMER_RETURN.value}),
                 ("Keep a SKU together", Policy.CONSOLIDATE, storage, {}),
                 ("Nearest free storage place", Policy.NEAREST_EMPTY, storage, {}),
                 ("Nearest storage place with room", Policy.NEAREST_CAPACITY, storage, {})]
        for priority, (name, policy, zone, match) in enumerate(rules, start=1):
            putaway.create_rule(db, DEMO_USER, wh, {"name": name, "priority": priority * 10, "policy": policy.value,
                                                    "target_zone_id": written.zones[(site.key, zone)], **match})
        own = [s for s in skus if s.owner.site == site.key and s.family.serial is None]
        for n in range(2):
            chosen = own[n * 4:(n + 1) * 4]
            if not chosen:
                continue
            owner = chosen[0].owner
            receipts.create_receipt(db, DEMO_USER, receipts.NewReceipt(
                owner_id=written.owners[owner.key], warehouse_id=wh, external_ref=f"PO-{site.code}{tag}-{n + 1:03d}",
                type=ReceiptType.PURCHASE, expected_date=today + timedelta(days=n),
                lines=[receipts.NewReceiptLine(quantity=Decimal(24 * (i + 1)), sku_id=written.skus[s.code],
                                               lot=f"L{today:%y%m}{i}" if s.family.lot else None)
                       for i, s in enumerate(chosen) if s.owner == owner]))
            count += 1
    return count


def _summary(db: Database, codes: list[str], written: Written, skus: list[SkuPlan], plans: list[StockPlan],
             slots: list[Slot]) -> str:
    lots = db.read(lambda conn: conn.execute(select(func.count()).select_from(t.lot).where(
        t.lot.c.owner_id.in_(list(written.owners.values())))).scalar_one())
    c = written.counts
    return "\n".join((
        f"Demo loaded into {' and '.join(codes)}:",
        f"  {len(codes)} warehouses, {c['zones']} zones, {len(slots):,} locations "
        f"({sum(s.blocked for s in slots)} blocked)",
        f"  {len(OWNERS)} owners, {len(skus)} SKUs: {sum(s.family.lot for s in skus)} lot-, "
        f"{sum(s.family.expiry_days is not None for s in skus)} expiry-, "
        f"{sum(s.family.serial is not None for s in skus)} serial-controlled",
        f"  {c['suppliers']} suppliers, {c['customers']} customers, {c['carriers']} carriers, "
        f"{c['containers']} containers ({c['sscc']} with SSCC)",
        f"  opening stock: {len(plans):,} lines, {sum(1 for p in plans if p.serial)} serial numbers, {lots} lots, "
        f"{sum(1 for p in plans if p.status is not StockStatus.AVAILABLE)} in QC or damaged",
    ))
