// The console's words, Vietnamese first, English on request (remembered in localStorage).
const words = {
  vi: {
    brand: 'Cổng quản trị dữ liệu', skip: 'Bỏ qua thanh điều hướng', lang: 'English', logout: 'Đăng xuất',
    logout_all: 'Đăng xuất mọi nơi', loading: 'Đang tải…',
    signin: 'Đăng nhập', login: 'Tên đăng nhập', password: 'Mật khẩu', signin_button: 'Đăng nhập',
    overview: 'Tổng quan', review: 'Rà soát trùng lặp', records: 'Hồ sơ', batches: 'Lô dữ liệu', partners: 'Đối tác',
    playground: 'Thử ánh xạ', audit: 'Nhật ký',
    unit: 'Đơn vị', level: 'Cấp học', show: 'Xem', students: 'Học sinh', staff: 'Cán bộ, giáo viên',
    completeness: 'Đầy đủ thông tin', verified: 'Số định danh đã xác thực', freshness: 'Cập nhật đúng hạn',
    lagging: 'Trường chậm cập nhật', no_lagging: 'Không có trường nào chậm cập nhật.', days: 'ngày', never: 'chưa bao giờ',
    name: 'Tên', code: 'Mã', records_count: 'Số hồ sơ', open_items: 'Mục đang chờ', no_items: 'Không có mục nào đang chờ rà soát.',
    score: 'Điểm', record: 'Hồ sơ mới', candidate: 'Hồ sơ có sẵn', field: 'Trường', sources: 'Nguồn',
    merge: 'Gộp (cùng một người)', not_a_match: 'Không trùng', merged: 'Đã gộp vào hồ sơ', kept: 'Đã giữ riêng hai hồ sơ',
    entity: 'Loại hồ sơ', id: 'Mã hồ sơ', history: 'Lịch sử và nguồn gốc', value: 'Giá trị', source: 'Nguồn', version: 'Phiên bản',
    status: 'Trạng thái', partner: 'Đối tác', feed: 'Luồng', created: 'Thời điểm', outcome: 'Kết quả', errors: 'Lỗi',
    new_partner: 'Thêm đối tác', scopes: 'Quyền (cách nhau bởi dấu cách)', units: 'Đơn vị (cách nhau bởi dấu cách)',
    create: 'Tạo', rotate: 'Đổi mã', revoke: 'Thu hồi', revoked: 'Đã thu hồi', active: 'Đang hoạt động',
    token_once: 'Mã truy cập (chỉ hiện một lần, hãy lưu lại ngay):', confirm_revoke: 'Thu hồi đối tác này?',
    mapping: 'Ánh xạ', payload: 'Dữ liệu của nhà cung cấp (JSON)', run: 'Chạy thử', result: 'Kết quả',
    actor: 'Người thực hiện', action: 'Thao tác', target: 'Đối tượng', at: 'Thời điểm', filter: 'Lọc',
    forbidden: 'Bạn không có quyền xem trang này.', back: 'Quay lại',
  },
  en: {
    brand: 'Data hub console', skip: 'Skip navigation', lang: 'Tiếng Việt', logout: 'Sign out',
    logout_all: 'Sign out everywhere', loading: 'Loading…',
    signin: 'Sign in', login: 'Login', password: 'Password', signin_button: 'Sign in',
    overview: 'Overview', review: 'Review', records: 'Records', batches: 'Batches', partners: 'Partners',
    playground: 'Mapping playground', audit: 'Audit',
    unit: 'Unit', level: 'School level', show: 'Show', students: 'Students', staff: 'Staff',
    completeness: 'Completeness', verified: 'Verified personal IDs', freshness: 'On-time updates',
    lagging: 'Schools that lag', no_lagging: 'No school lags.', days: 'days', never: 'never',
    name: 'Name', code: 'Code', records_count: 'Records', open_items: 'Open items', no_items: 'No open review items.',
    score: 'Score', record: 'New record', candidate: 'Existing record', field: 'Field', sources: 'Sources',
    merge: 'Merge (same person)', not_a_match: 'Not a match', merged: 'Merged into record', kept: 'Both records kept apart',
    entity: 'Entity', id: 'Record id', history: 'History and lineage', value: 'Value', source: 'Source', version: 'Version',
    status: 'Status', partner: 'Partner', feed: 'Feed', created: 'At', outcome: 'Outcome', errors: 'Errors',
    new_partner: 'New partner', scopes: 'Scopes (space separated)', units: 'Units (space separated)',
    create: 'Create', rotate: 'Rotate token', revoke: 'Revoke', revoked: 'Revoked', active: 'Active',
    token_once: 'Token (shown once, store it now):', confirm_revoke: 'Revoke this partner?',
    mapping: 'Mapping', payload: 'Vendor payload (JSON)', run: 'Run', result: 'Result',
    actor: 'Actor', action: 'Action', target: 'Target', at: 'At', filter: 'Filter',
    forbidden: 'You may not open this page.', back: 'Back',
  },
};

export let lang = localStorage.getItem('console.lang') === 'en' ? 'en' : 'vi';

export function t(key) {
  return words[lang][key] ?? words.vi[key] ?? key;
}

export function switchLang() {
  lang = lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('console.lang', lang);
  document.documentElement.lang = lang;
}

// The problem's message in the console's language: the hub answers both.
export function problemText(p) {
  if (!p) return '';
  return (lang === 'vi' && p.message_vi) ? p.message_vi : (p.detail || p.title || String(p.status));
}
